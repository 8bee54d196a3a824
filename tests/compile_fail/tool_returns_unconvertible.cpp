// tests/compile_fail/tool_returns_unconvertible.cpp: must not compile: Boost.JSON cannot convert
// what the handler returns.
// EXPECT: Boost.JSON cannot convert what this one returns
#include <mistral/core.hpp>

#include <boost/describe.hpp>

struct args {
    std::string city;
};
BOOST_DESCRIBE_STRUCT(args, (), (city))

struct opaque {
    int hidden = 0;
};

int main() {
    mistral::toolbox tools;
    tools.add("weather", "Weather", [](const args&) { return opaque{}; });
}
