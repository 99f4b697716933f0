// Many guests on one thread, time-sliced: each runs as an async call whose store yields when the
// engine's epoch passes its deadline; a timer thread advances the epoch every millisecond, and
// the scheduler resumes the guests round-robin. No guest can hog the thread.
//
//   timeslice GUEST.wasm [GUESTS]
#include <atoll/atoll.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s GUEST.wasm [GUESTS]\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> wasm((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int n = argc > 2 ? std::atoi(argv[2]) : 8;

  atl::Config config;
  config.epoch_interruption = true;  // compile the checks the deadlines rely on
  atl::Engine engine(config);
  auto module = atl::compile_module(engine, wasm);
  if (!module.ok()) {
    std::fprintf(stderr, "%s\n", module.error().to_string().c_str());
    return 1;
  }

  struct Guest {
    std::unique_ptr<atl::Store> store;  // one store per guest: guests are independent
    atl::AsyncCall call;
    int slices = 0;
    bool done = false;
  };
  std::vector<Guest> guests(n);
  for (int i = 0; i < n; ++i) {
    Guest& g = guests[i];
    g.store = std::make_unique<atl::Store>(engine);
    g.store->set_epoch_yield(1);     // yield after each tick of running...
    g.store->set_epoch_deadline(1);  // ...starting now
    atl::Linker linker(*g.store);
    auto instance = linker.instantiate(*module);
    if (!instance.ok()) return 1;
    std::vector<atl::Val> args = {atl::Val::i64(20'000'000LL * (i + 1))};  // unequal amounts of work
    auto call = instance->func("work")->call_async(args);
    if (!call.ok()) return 1;
    g.call = std::move(*call);
  }

  std::atomic<bool> stop{false};
  std::thread timer([&] {
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      engine.increment_epoch();
    }
  });
  int remaining = n;
  const auto start = std::chrono::steady_clock::now();
  while (remaining > 0) {
    for (int i = 0; i < n; ++i) {  // round-robin: one slice each
      Guest& g = guests[i];
      if (g.done) continue;
      auto state = g.call.resume();
      if (!state.ok()) {
        std::fprintf(stderr, "guest %d trapped: %s\n", i, state.error().message.c_str());
        return 1;
      }
      ++g.slices;
      if (*state == atl::AsyncCall::State::Finished) {
        g.done = true;
        --remaining;
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        std::printf("guest %d finished after %d slices at %.0f ms: %016llx\n", i, g.slices, ms,
                    static_cast<unsigned long long>(g.call.results()[0].i64()));
      }
    }
  }
  stop = true;
  timer.join();
  // Guests finish in order of their work, and every one of them got many slices.
  for (int i = 0; i < n; ++i) {
    if (guests[i].slices < 2) {
      std::fprintf(stderr, "guest %d was never preempted\n", i);
      return 1;
    }
  }
  std::printf("%d guests time-sliced on one thread\n", n);
  return 0;
}
