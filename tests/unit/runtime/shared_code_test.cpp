// ArtifactOptions::shared_code_file: the code pages of a module become a mapping of one file that
// every load of the same artifact shares; the file is used only when it holds exactly the bytes
// the load produced and only others cannot write it.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "atoll/atoll.h"
#include "../wat.h"

namespace atl {
namespace {

class SharedCode : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/atoll-shared-code-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/module.code";
    auto a = compile(engine_, test::wat(R"((module
      (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "answer") (result i32) (call $inc (i32.const 41)))
      (func (export "grow") (result i32) (memory.grow (i32.const 1)))
      (memory 1)))"));
    ASSERT_TRUE(a.ok()) << a.error().to_string();
    artifact_ = std::move(a.value());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<Module> load(const std::string& path) {
    ArtifactOptions o;
    o.shared_code_file = path;
    return Module::from_artifact(engine_, artifact_, o);
  }
  // Runs both exports: a call within the module and one into the runtime (memory.grow's builtin
  // goes through a stub and the GOT).
  void expect_runs(const Module& m) {
    Store store(engine_);
    Linker linker(store);
    auto inst = linker.instantiate(m);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    EXPECT_EQ(*(*inst->func<int32_t()>("answer"))(), 42);
    EXPECT_EQ(*(*inst->func<int32_t()>("grow"))(), 1);
  }
  // How many mappings of this process are of `path`.
  static int mappings_of(const std::string& path) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    int n = 0;
    while (std::getline(maps, line)) n += line.size() >= path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0;
    return n;
  }
  static std::string contents(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }

  Engine engine_;
  std::string dir_, path_;
  std::vector<uint8_t> artifact_;
};

TEST_F(SharedCode, TwoLoadsMapOneFile) {
  auto a = load(path_);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0) << "the first load writes the file";
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  EXPECT_EQ(mappings_of(path_), 1);
  auto b = load(path_);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_EQ(mappings_of(path_), 2) << "the second load maps the same file";
  expect_runs(*a);
  expect_runs(*b);
}

TEST_F(SharedCode, ATamperedFileIsReplacedNotRun) {
  std::string good;
  {
    auto a = load(path_);
    ASSERT_TRUE(a.ok());
    good = contents(path_);
  }
  ASSERT_FALSE(good.empty());
  // Same size, other bytes (int3 everywhere): what a planted file would look like.
  chmod(path_.c_str(), 0600);
  { std::ofstream(path_, std::ios::binary | std::ios::trunc) << std::string(good.size(), '\xcc'); }
  chmod(path_.c_str(), 0400);
  auto b = load(path_);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  expect_runs(*b);
  EXPECT_EQ(contents(path_), good) << "the file is written again from the artifact";
}

TEST_F(SharedCode, AFileOthersMayWriteIsNotTrusted) {
  { auto a = load(path_); ASSERT_TRUE(a.ok()); }
  chmod(path_.c_str(), 0666);
  auto b = load(path_);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  expect_runs(*b);
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u) << "replaced by a file only its owner can read";
}

TEST_F(SharedCode, WithoutAWritablePlaceTheCodeIsAPrivateCopy) {
  const std::string nowhere = dir_ + "/missing/module.code";
  auto a = load(nowhere);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(mappings_of(nowhere), 0);
  expect_runs(*a);
  // A symlink is not followed: it could point anywhere.
  ASSERT_EQ(symlink(nowhere.c_str(), path_.c_str()), 0);
  auto b = load(path_);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  expect_runs(*b);
}

}  // namespace
}  // namespace atl
