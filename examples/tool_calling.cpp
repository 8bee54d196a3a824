// examples/tool_calling.cpp: tool_calling: the full function-calling loop. The model is told about
// two local functions; it asks for calls, this program runs them and sends the results back, until
// the model answers.
//
//   tool_calling [--stream] ["your question"]
#include <mistral/mistral.hpp>

#include <cstring>
#include <iostream>
#include <string>

#include "example_config.hpp"

namespace {

// The "tools": ordinary C++ functions taking their arguments as JSON.
std::string get_weather(const boost::json::object& args) {
    const std::string city = args.contains("city") ? std::string(args.at("city").as_string()) : "?";
    return "{\"city\": \"" + city + "\", \"temperature_c\": 12, \"sky\": \"cloudy\"}";
}

std::string get_time(const boost::json::object& args) {
    const std::string zone =
        args.contains("timezone") ? std::string(args.at("timezone").as_string()) : "UTC";
    return "{\"timezone\": \"" + zone + "\", \"time\": \"14:05\"}";
}

std::string run_tool(const mistral::function_call& call) {
    const boost::json::object args =
        mistral::parse_arguments(call);  // string or object, either way
    if (call.name == "get_weather") return get_weather(args);
    if (call.name == "get_time") return get_time(args);
    return "{\"error\": \"unknown tool\"}";
}

}  // namespace

int main(int argc, char** argv) {
    const bool streaming = argc > 1 && std::strcmp(argv[1], "--stream") == 0;
    const char* question =
        argc > (streaming ? 2 : 1) ? argv[streaming ? 2 : 1] : "What is the weather in Lyon?";

    mistral::client client{example::options()};
    mistral::chat_request request{.model = example::model(), .messages = {mistral::user(question)}};
    // Tools are declared with a JSON Schema of their parameters.
    request.tools = std::vector<mistral::tool>{
        mistral::make_function_tool("get_weather", "Current weather of a city",
                                    boost::json::parse(R"({"type": "object",
                                        "properties": {"city": {"type": "string", "description": "City name"}},
                                        "required": ["city"]})")
                                        .as_object()),
        mistral::make_function_tool("get_time", "Current time in a time zone",
                                    boost::json::parse(R"({"type": "object",
                                        "properties": {"timezone": {"type": "string"}},
                                        "required": ["timezone"]})")
                                        .as_object()),
    };
    try {
        for (int turn = 0; turn < 5; ++turn) {
            const mistral::chat_response response =
                streaming ? client.stream(
                                request,
                                [](const mistral::chat_chunk& chunk) { std::cout << chunk.text(); })
                          : client.chat(request);
            const mistral::assistant_message& message = response.choices.at(0).message;
            if (response.choices[0].finish_reason != mistral::finish_reason::tool_calls ||
                !message.tool_calls) {
                if (!streaming) std::cout << message.text();
                std::cout << "\n";
                return 0;
            }
            // The model asked for tool calls: keep its message, run each call, send the results.
            request.messages.push_back(message);
            for (const mistral::tool_call& call : *message.tool_calls) {
                const std::string result = run_tool(call.function);
                std::cout << "[tool " << call.function.name << " -> " << result << "]\n";
                request.messages.push_back(mistral::tool_result(call, result));  // id and name
            }
        }
        std::cerr << "no final answer after 5 turns\n";
        return 1;
    } catch (const mistral::error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
