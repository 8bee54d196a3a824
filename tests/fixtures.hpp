// Reads the test fixtures of tests/fixtures.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace mistral::test {

inline std::string read_fixture(const std::string& name) {
    std::ifstream in(std::string(MISTRAL_TEST_FIXTURES_DIR) + "/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + name);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline boost::json::value fixture_json(const std::string& name) {
    return boost::json::parse(read_fixture(name));
}

}  // namespace mistral::test
