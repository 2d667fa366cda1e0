#include "../../support/temp_dir.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/core/watched_file.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace onbehalf;
using onbehalf::testing::temp_dir;

namespace {

void replace_file(const std::string& path, const std::string& content) {
  std::ofstream(path + ".new", std::ios::binary) << content;
  std::filesystem::rename(path + ".new", path);
}

// Loads a number; anything else is refused, as a broken certificate would be.
struct counting_loader {
  int* loads;
  result<int, std::string> operator()(const std::string& content) const {
    ++*loads;
    auto n = text::parse_unsigned(text::trim(content));
    if (!n) return failure{std::string("not a number")};
    return static_cast<int>(*n);
  }
};

} // namespace

TEST_CASE("a watched file is loaded once, and again only when it is replaced") {
  temp_dir dir;
  auto path = dir.write("value", "1");
  int loads = 0;
  watched_file<int> file(path, counting_loader{&loads});
  CHECK(**file.current() == 1);
  CHECK(**file.current() == 1);
  CHECK(loads == 1);
  replace_file(path, "2");
  CHECK(**file.current() == 2);
  CHECK(loads == 2);
}

TEST_CASE("a replaced file that does not load leaves the previous value in use, and is not loaded again until it changes") {
  temp_dir dir;
  auto path = dir.write("value", "1");
  int loads = 0;
  watched_file<int> file(path, counting_loader{&loads});
  REQUIRE(file.current());
  replace_file(path, "half-written");
  CHECK(**file.current() == 1);
  CHECK(**file.current() == 1);
  CHECK(loads == 2);
  replace_file(path, "3");
  CHECK(**file.current() == 3);
}

TEST_CASE("a watched file that never loaded is an error naming the problem") {
  temp_dir dir;
  int loads = 0;
  watched_file<int> missing(dir.path("nothing-here"), counting_loader{&loads});
  auto answer = missing.current();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().find("nothing-here") != std::string::npos);
  watched_file<int> broken(dir.write("broken", "x"), counting_loader{&loads});
  REQUIRE_FALSE(broken.current());
  CHECK(broken.current().error() == "not a number");
}

TEST_CASE("a deleted file leaves the previous value in use") {
  temp_dir dir;
  auto path = dir.write("value", "7");
  int loads = 0;
  watched_file<int> file(path, counting_loader{&loads});
  REQUIRE(file.current());
  std::filesystem::remove(path);
  CHECK(**file.current() == 7);
}

TEST_CASE("files larger than the limit are refused: these are certificates and tokens, not logs") {
  temp_dir dir;
  auto path = dir.write("big", std::string(2048, 'x'));
  auto read = read_small_file(path, 1024);
  REQUIRE_FALSE(read);
  CHECK(read.error().find("larger than 1024 bytes") != std::string::npos);
}
