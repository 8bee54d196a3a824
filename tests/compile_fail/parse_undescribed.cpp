// tests/compile_fail/parse_undescribed.cpp: must not compile: parse<T> of a struct that
// Boost.Describe does not describe (no schema can be made of it, nor a reply decoded into it).
// EXPECT: T must be a struct described with BOOST_DESCRIBE_STRUCT
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

struct city {
    std::string name;
};

int main() {
    mistral::testing::mock_transport mock;
    mistral::basic_client<mistral::testing::mock_transport> client({.api_key = "k"}, mock);
    (void)client.parse<city>({.model = "m", .messages = {mistral::user("A city?")}});
}
