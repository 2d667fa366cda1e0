// A small file that is read again when it changes: certificates rotated in place, and the tokens
// Kubernetes projects into pods (renewed hourly). Until the new content loads, the old is used.
#pragma once

#include "onbehalf/core/log.hpp"
#include "onbehalf/core/result.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace onbehalf {

/// What identifies one version of a file: a rename over it (as Kubernetes and certificate tools
/// do) changes the inode, an edit in place the modification time or size.
struct file_stamp {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t modified_ns = 0;
  std::uint64_t size = 0;
  bool operator==(const file_stamp&) const = default;
};

/// The file's stamp, following symbolic links; an error in plain words.
result<file_stamp, std::string> stamp_of(const std::string& path);
/// The whole file; refuses one larger than `limit` bytes (these files are small: a runaway one is a mistake).
result<std::string, std::string> read_small_file(const std::string& path, std::size_t limit = 1 << 20);

/// The value loaded from a file, loaded again when the file's stamp changes. Thread-safe.
template <class T>
class watched_file {
public:
  using loader = std::function<result<T, std::string>(const std::string& content)>;

  watched_file(std::string path, loader load) : path_(std::move(path)), load_(std::move(load)) {}

  const std::string& path() const noexcept { return path_; }

  /// The value as of the file's latest version. When that version cannot be read or loaded, the
  /// value of the last one that could (the problem logged once per version); an error only when
  /// no version ever loaded.
  result<std::shared_ptr<const T>, std::string> current() {
    std::lock_guard lock(mutex_);
    auto stamp = stamp_of(path_);
    if (stamp && loaded_ && *stamp == loaded_stamp_) return loaded_;
    if (stamp && failed_stamp_ && *stamp == *failed_stamp_) return kept(problem_);
    auto content = stamp ? read_small_file(path_) : result<std::string, std::string>(failure{stamp.error()});
    auto value = content ? load_(*content) : result<T, std::string>(failure{content.error()});
    if (!value) {
      failed_stamp_ = stamp ? std::optional(*stamp) : std::nullopt;
      bool new_problem = value.error() != problem_;
      problem_ = value.error();
      if (loaded_ && new_problem)
        log_warning("A changed file could not be loaded; the previous version is used until it can", {{"file", path_}, {"reason", problem_}});
      return kept(problem_);
    }
    bool reloaded = loaded_ != nullptr;
    loaded_ = std::make_shared<const T>(std::move(*value));
    loaded_stamp_ = *stamp;
    failed_stamp_.reset();
    problem_.clear();
    if (reloaded) log_info("A changed file was loaded again", {{"file", path_}});
    return loaded_;
  }

private:
  result<std::shared_ptr<const T>, std::string> kept(const std::string& problem) {
    if (loaded_) return loaded_;
    return failure{problem};
  }

  std::string path_;
  loader load_;
  std::mutex mutex_;
  std::shared_ptr<const T> loaded_;
  file_stamp loaded_stamp_;
  std::optional<file_stamp> failed_stamp_;
  std::string problem_;
};

} // namespace onbehalf
