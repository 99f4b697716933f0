// WASI rights: what each descriptor may do. A descriptor's rights start as what its kind of
// file supports (and its access mode allows), limited by the inheriting rights of the directory
// it was opened from; fd_fdstat_set_rights can only take rights away.
#pragma once

#include <cstdint>

namespace atl::wasi::rights {

constexpr uint64_t kFdDatasync = 1ull << 0, kFdRead = 1ull << 1, kFdSeek = 1ull << 2,
                   kFdFdstatSetFlags = 1ull << 3, kFdSync = 1ull << 4, kFdTell = 1ull << 5,
                   kFdWrite = 1ull << 6, kFdAdvise = 1ull << 7, kFdAllocate = 1ull << 8,
                   kPathCreateDirectory = 1ull << 9, kPathCreateFile = 1ull << 10,
                   kPathLinkSource = 1ull << 11, kPathLinkTarget = 1ull << 12, kPathOpen = 1ull << 13,
                   kFdReaddir = 1ull << 14, kPathReadlink = 1ull << 15, kPathRenameSource = 1ull << 16,
                   kPathRenameTarget = 1ull << 17, kPathFilestatGet = 1ull << 18,
                   kPathFilestatSetSize = 1ull << 19, kPathFilestatSetTimes = 1ull << 20,
                   kFdFilestatGet = 1ull << 21, kFdFilestatSetSize = 1ull << 22,
                   kFdFilestatSetTimes = 1ull << 23, kPathSymlink = 1ull << 24,
                   kPathRemoveDirectory = 1ull << 25, kPathUnlinkFile = 1ull << 26,
                   kPollFdReadwrite = 1ull << 27, kSockShutdown = 1ull << 28, kSockAccept = 1ull << 29;
constexpr uint64_t kAll = (1ull << 30) - 1;

constexpr uint64_t kDirectory =
    kPathCreateDirectory | kPathCreateFile | kPathLinkSource | kPathLinkTarget | kPathOpen | kFdReaddir |
    kPathReadlink | kPathRenameSource | kPathRenameTarget | kPathFilestatGet | kPathFilestatSetSize |
    kPathFilestatSetTimes | kFdFilestatGet | kFdFilestatSetTimes | kPathSymlink | kPathRemoveDirectory |
    kPathUnlinkFile;
constexpr uint64_t kRegularFile = kFdDatasync | kFdRead | kFdSeek | kFdFdstatSetFlags | kFdSync | kFdTell |
                                  kFdWrite | kFdAdvise | kFdAllocate | kFdFilestatGet | kFdFilestatSetSize |
                                  kFdFilestatSetTimes | kPollFdReadwrite;
// Terminals, pipes and other streams: no position, no size.
constexpr uint64_t kStream = kFdRead | kFdWrite | kFdFdstatSetFlags | kFdFilestatGet | kPollFdReadwrite;
constexpr uint64_t kSocket = kStream | kSockShutdown | kSockAccept;
// What needs the descriptor to be open for reading or for writing.
constexpr uint64_t kNeedsRead = kFdRead | kFdReaddir;
constexpr uint64_t kNeedsWrite = kFdWrite | kFdAllocate | kFdFilestatSetSize | kFdDatasync;

}  // namespace atl::wasi::rights
