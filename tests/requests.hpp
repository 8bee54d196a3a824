// tests/requests.hpp: requests shared by the JSON tests and the specification check: one that sets
// every field of the API (it is tests/fixtures/request_wire.json built with the C++ types).
#pragma once

#include <mistral/types.hpp>

#include <boost/json/parse.hpp>

namespace mistral::test {

inline chat_request request_with_every_field() {
    using namespace std::string_literals;
    using chunks = std::vector<content_chunk>;
    return chat_request{
        .model = "mistral-large-latest",
        .messages =
            {
                system_message{.content = chunks{text_chunk{.text = "You are terse."}}},
                user_message{
                    .content =
                        chunks{
                            text_chunk{.text = "What is in this image and document?"},
                            image_url_chunk{.image_url = "data:image/png;base64,iVBORw0KGgo="},
                            image_url_chunk{.image_url =
                                                image_url{.url = "https://example.com/cat.png",
                                                          .detail = "low"}},
                            document_url_chunk{.document_url = "https://example.com/a.pdf",
                                               .document_name = "a.pdf"},
                            file_chunk{.file_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
                            input_audio_chunk{.input_audio = "UklGRiQAAABXQVZF"},
                            reference_chunk{.reference_ids = {std::int64_t{1}, "doc-2"s}},
                        }},
                assistant_message{
                    .tool_calls =
                        std::vector<tool_call>{{.id = "D681PevKs",
                                                .type = "function",
                                                .function = {.name = "get_weather",
                                                             .arguments = R"({"city":"Paris"})"},
                                                .index = 0}}},
                tool_message{
                    .content = "18C and sunny", .tool_call_id = "D681PevKs", .name = "get_weather"},
                user_message{},
                assistant_message{
                    .content =
                        chunks{
                            thinking_chunk{.thinking = {text_chunk{.text = "hmm"},
                                                        tool_reference_chunk{
                                                            .tool = "web_search",
                                                            .title = "Weather",
                                                            .url = "https://w.example",
                                                            .favicon = "https://w.example/f.ico",
                                                            .description = "x"}},
                                           .signature = "sig",
                                           .closed = false},
                            text_chunk{.text = "It is"},
                        },
                    .prefix = true},
            },
        .temperature = 0.3,
        .top_p = 0.9,
        .max_tokens = 0,
        .stream = false,
        .stop = std::vector<std::string>{"\n\n", "END"},
        .random_seed = 0,
        .metadata = boost::json::object{{"user", "42"}},
        .response_format = json_schema_format(
            {.name = "weather",
             .description = "A report",
             .schema =
                 boost::json::parse(
                     R"({"type":"object","properties":{"c":{"type":"number"}},"required":["c"],"additionalProperties":false})")
                     .as_object(),
             .strict = true}),
        .tools =
            std::vector<tool>{
                function_tool{
                    .function =
                        {.name = "get_weather",
                         .description = "Weather by city",
                         .strict = false,
                         .parameters =
                             boost::json::parse(
                                 R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})")
                                 .as_object()}},
                web_search_tool{},
                web_search_premium_tool{
                    .tool_configuration =
                        tool_configuration{
                            .exclude = std::vector<std::string>{"news"},
                            .include = std::vector<std::string>{"docs"},
                            .requires_confirmation = std::vector<std::string>{"publish"}}},
                code_interpreter_tool{},
                image_generation_tool{},
                document_library_tool{.library_ids = {"lib-1"}},
                connector_tool{
                    .connector_id = "c-1",
                    .authorization = connector_authorization{.type = "api-key", .value = "secret"}},
            },
        .tool_choice = force_tool("get_weather"),
        .presence_penalty = -0.5,
        .frequency_penalty = 1.5,
        .n = 2,
        .prediction = prediction{.content = "It is"},
        .parallel_tool_calls = false,
        .reasoning_effort = reasoning_effort::high,
        .prompt_mode = "reasoning",
        .guardrails =
            std::vector<guardrail_config>{
                {.block_on_error = true,
                 .moderation_llm_v1 = moderation_llm_v1_config{.custom_category_thresholds =
                                                                   moderation_v1_thresholds{
                                                                       .sexual = 0.1, .pii = 0.2},
                                                               .action = "block"},
                 .moderation_llm_v2 =
                     moderation_llm_v2_config{.model_name = "mistral-moderation-2603",
                                              .custom_category_thresholds =
                                                  moderation_v2_thresholds{.jailbreaking = 0.5},
                                              .ignore_other_categories = true}},
            },
        .prompt_cache_key = "conv-1",
        .service_tier = "auto",
        .safe_prompt = true,
    };
}

}  // namespace mistral::test
