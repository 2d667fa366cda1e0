// A fresh directory under /tmp for one test, removed with everything in it when the test ends.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace onbehalf::testing {

class temp_dir {
public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "onbehalf-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string write(const std::string& name, const std::string& content) const {
    auto file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

private:
  std::filesystem::path path_;
};

/// A NULL-terminated environment block, like `environ`, built from "NAME=value" strings.
class fake_environment {
public:
  fake_environment(std::initializer_list<std::string> variables) : storage_(variables) {
    for (auto& v : storage_) pointers_.push_back(v.data());
    pointers_.push_back(nullptr);
  }
  char** get() { return pointers_.data(); }

private:
  std::vector<std::string> storage_;
  std::vector<char*> pointers_;
};

} // namespace onbehalf::testing
