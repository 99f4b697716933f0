// FileWatcher, the --watch of atoll serve: a change is reported once it settles, a change made
// while nobody waits is kept for the next wait, set_files switches what counts, stop() ends a wait.
#include "server/watch.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace atl::server {
namespace {

namespace fs = std::filesystem;

class Watch : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "atoll-watch-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  void write(const char* name, const char* text) const {
    std::ofstream(path(name)) << text;
  }
  // Replaces NAME by renaming another file over it, as deploy tools do.
  void replace(const char* name, const char* text) const {
    write("next.tmp", text);
    fs::rename(path("next.tmp"), path(name));
  }
  fs::path dir_;
};

// wait() on another thread, with a deadline so a missed change fails instead of hanging.
bool changed_within(FileWatcher& w, int ms) {
  std::atomic<bool> result = false;
  std::thread t([&] { result = w.wait(20); });
  for (int i = 0; i < ms && !result; i += 10) usleep(10'000);
  w.stop();
  t.join();
  return result;
}

TEST_F(Watch, ReplacedFileIsAChange) {
  write("a.toml", "1");
  auto w = FileWatcher::create({path("a.toml")});
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  std::thread later([&] {
    usleep(50'000);
    replace("a.toml", "2");
  });
  EXPECT_TRUE((*w)->wait(20));
  later.join();
}

TEST_F(Watch, ChangeWhileNobodyWaitsIsNotLost) {
  write("a.toml", "1");
  auto w = FileWatcher::create({path("a.toml")});
  ASSERT_TRUE(w.ok());
  replace("a.toml", "2");  // before anyone waits: e.g. while a reload compiles
  EXPECT_TRUE(changed_within(**w, 2000));
}

TEST_F(Watch, OtherFilesInTheDirectoryAreNotAChange) {
  write("a.toml", "1");
  auto w = FileWatcher::create({path("a.toml")});
  ASSERT_TRUE(w.ok());
  write("unrelated.log", "x");
  EXPECT_FALSE(changed_within(**w, 300));
}

TEST_F(Watch, SetFilesSwitchesWhatCounts) {
  write("a.toml", "1");
  fs::create_directory(dir_ / "mods");
  write("mods/m.wasm", "m");
  auto w = FileWatcher::create({path("a.toml")});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->set_files({path("mods/m.wasm")}).ok());
  replace("a.toml", "2");
  EXPECT_FALSE(changed_within(**w, 300)) << "a file no longer watched still counts";
  auto w2 = FileWatcher::create({path("a.toml")});
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE((*w2)->set_files({path("a.toml"), path("mods/m.wasm")}).ok());
  fs::rename(path("a.toml"), path("mods/next.tmp"));
  fs::rename(path("mods/next.tmp"), path("mods/m.wasm"));
  EXPECT_TRUE(changed_within(**w2, 2000)) << "a file in a newly watched directory";
}

TEST_F(Watch, MissingDirectoryIsAnError) {
  auto w = FileWatcher::create({path("absent/a.toml")});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("cannot watch"), std::string::npos) << w.error().message;
}

}  // namespace
}  // namespace atl::server
