// examples/tool_calling.cpp: the full function-calling loop in one call. Two C++ functions become
// tools (their argument structs give the schemas); run_tools() lets the model call them, runs
// each call, sends the results back and returns the model's final answer.
//
//   tool_calling [--stream] ["your question"]
#include <mistral/mistral.hpp>

#include <boost/describe.hpp>

#include <cstring>
#include <iostream>
#include <string>

#include "example_config.hpp"

namespace tools {

struct weather_args {
    std::string city;
};
BOOST_DESCRIBE_STRUCT(weather_args, (), (city))

struct weather {
    std::string city;
    int temperature_c = 0;
    std::string sky;
};
BOOST_DESCRIBE_STRUCT(weather, (), (city, temperature_c, sky))

struct time_args {
    std::string timezone;
};
BOOST_DESCRIBE_STRUCT(time_args, (), (timezone))

}  // namespace tools

int main(int argc, char** argv) {
    const bool streaming = argc > 1 && std::strcmp(argv[1], "--stream") == 0;
    const char* question =
        argc > (streaming ? 2 : 1) ? argv[streaming ? 2 : 1] : "What is the weather in Lyon?";

    mistral::toolbox toolbox;
    toolbox.add("get_weather", "Current weather of a city", [](const tools::weather_args& a) {
        std::cout << "[tool get_weather -> {\"city\": \"" << a.city << "\"}]\n";
        return tools::weather{a.city, 12, "cloudy"};  // sent to the model as JSON
    });
    toolbox.add("get_time", "Current time in a time zone", [](const tools::time_args& a) {
        std::cout << "[tool get_time -> " << a.timezone << "]\n";
        return "14:05 in " + a.timezone;  // text is sent as it is
    });

    mistral::client client{example::options()};
    mistral::chat_request request{.model = example::model(), .messages = {mistral::user(question)}};
    try {
        const mistral::chat_response answer =
            streaming
                ? client.run_tools(request, toolbox,
                                   [](const mistral::chat_chunk& c) { std::cout << c.text(); })
                : client.run_tools(request, toolbox);
        if (!streaming) std::cout << answer.text();
        std::cout << "\n(" << request.messages.size() << " messages in the conversation)\n";
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
