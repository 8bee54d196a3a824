// tests/compile_fail/tool_returns_void.cpp: must not compile: a tool handler that only throws
// returns void, and the model must be told something.
// EXPECT: a tool handler returns what the model is told
#include <mistral/core.hpp>

#include <boost/describe.hpp>

#include <stdexcept>

struct args {
    std::string city;
};
BOOST_DESCRIBE_STRUCT(args, (), (city))

int main() {
    mistral::toolbox tools;
    tools.add("fail", "Always fails", [](const args&) { throw std::runtime_error("no"); });
}
