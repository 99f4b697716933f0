#include <gtest/gtest.h>

#include <string>

#include "atoll/result.h"

namespace atl {
namespace {

Result<int> fails() { return make_error(ErrorKind::Io, "disk on fire"); }

TEST(Result, UsingTheValueOfAFailedResultSaysWhatFailed) {
  Result<int> r = fails();
  try {
    (void)*r;
    FAIL() << "no exception";
  } catch (const BadResultAccess& e) {
    EXPECT_NE(std::string(e.what()).find("disk on fire"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)r.value(), BadResultAccess);
  const Result<int>& c = r;
  EXPECT_THROW((void)c.value(), BadResultAccess);
  EXPECT_THROW((void)std::move(r).value(), BadResultAccess);
}

TEST(Result, AskingASuccessForItsErrorThrows) {
  Result<int> ok = 7;
  EXPECT_EQ(*ok, 7);
  EXPECT_THROW((void)ok.error(), BadResultAccess);
  Result<void> done;
  EXPECT_THROW((void)done.error(), BadResultAccess);
  Result<void> failed = make_error(ErrorKind::Usage, "no");
  EXPECT_EQ(failed.error().message, "no");
  EXPECT_EQ(failed.take_error().kind, ErrorKind::Usage);
}

}  // namespace
}  // namespace atl
