// tests/fixtures.hpp: reads the test fixtures of tests/fixtures.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

// The error bodies of tests/fixtures/errors that the API sends with a 4xx status (not retried),
// with that status.
inline const std::vector<std::pair<int, std::string>> client_error_fixtures = {
    {400, "400_message_order.json"}, {401, "401_detail_string.json"},
    {401, "401_gateway.json"},       {403, "403_tier.json"},
    {404, "404_not_found.json"},     {422, "422_nested_detail.json"},
    {422, "422_detail_list.json"},
};

}  // namespace mistral::test
