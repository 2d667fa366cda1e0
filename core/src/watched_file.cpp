#include "onbehalf/core/watched_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace onbehalf {

result<file_stamp, std::string> stamp_of(const std::string& path) {
  struct stat s {};
  if (::stat(path.c_str(), &s) != 0) return failure{"cannot read the file '" + path + "' (" + std::strerror(errno) + ")"};
  if (!S_ISREG(s.st_mode)) return failure{"'" + path + "' is not a regular file"};
  return file_stamp{static_cast<std::uint64_t>(s.st_dev), static_cast<std::uint64_t>(s.st_ino),
                    static_cast<std::int64_t>(s.st_mtim.tv_sec) * 1'000'000'000 + s.st_mtim.tv_nsec, static_cast<std::uint64_t>(s.st_size)};
}

result<std::string, std::string> read_small_file(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure{"cannot read the file '" + path + "' (" + std::strerror(errno) + ")"};
  std::string content;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    content.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (content.size() > limit) return failure{"the file '" + path + "' is larger than " + std::to_string(limit) + " bytes"};
  }
  return content;
}

} // namespace onbehalf
