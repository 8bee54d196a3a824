// tests/test_spec.cpp: every request the types can express must be accepted by the official OpenAPI
// specification. The judge is a real validator of that specification, not a copy of it written
// here: Prism (npm @stoplight/prism-cli, installed by tools/test.sh into tests/spec) serving
// shared/reference/mistral-openapi-chat-subset.yaml on 127.0.0.1. Prism answers 422 to a body
// that violates the specification and 200 otherwise.
#include <httplib.h>
#include <mistral/core.hpp>
#include <mistral/json.hpp>
#include <mistral/structured.hpp>
#include <mistral/testing.hpp>
#include <mistral/tools.hpp>

#include <boost/describe.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "catch.hpp"
#include "fixtures.hpp"
#include "requests.hpp"
#include "stream_families.hpp"
#include "support/subprocess.hpp"

namespace json = boost::json;
using namespace mistral;

namespace spec_test {
enum class size_class { village, town };
BOOST_DESCRIBE_ENUM(size_class, village, town)
struct place {
    std::string name;
    std::optional<std::int64_t> population;
    std::vector<size_class> sizes;
    std::map<std::string, double> scores;
};
BOOST_DESCRIBE_STRUCT(place, (), (name, population, sizes, scores))
}  // namespace spec_test

namespace {

// Prism, started once per test process.
class prism_server {
public:
    static prism_server* get() {
        static std::unique_ptr<prism_server> instance = start();
        return instance.get();
    }

    int post(const std::string& body) { return send("POST", "/v1/chat/completions", body); }
    // Any request of the client, as it would reach api.mistral.ai.
    int send(const std::string& method, const std::string& target, const std::string& body,
             const std::string& content_type = "application/json") {
        httplib::Client cli("127.0.0.1", port_);
        cli.set_read_timeout(30, 0);
        const httplib::Headers auth{{"Authorization", "Bearer test"}};
        auto res = method == "GET"      ? cli.Get(target, auth)
                   : method == "DELETE" ? cli.Delete(target, auth)
                                        : cli.Post(target, auth, body, content_type);
        return res ? res->status : -1;
    }
    std::string log() const { return process_->log(); }

private:
    static std::unique_ptr<prism_server> start() {
        const std::filesystem::path prism = MISTRAL_PRISM_EXECUTABLE;
        if (!std::filesystem::exists(prism)) return nullptr;
        auto server = std::make_unique<prism_server>();
        server->port_ = test::free_port();
        server->process_ = std::make_unique<test::subprocess>(
            std::vector<std::string>{prism.string(), "mock", "-h", "127.0.0.1", "-p",
                                     std::to_string(server->port_), MISTRAL_SPEC_FILE},
            std::filesystem::temp_directory_path() /
                ("prism-" + std::to_string(server->port_) + ".log"));
        if (!test::wait_for_port(server->port_, std::chrono::seconds(90))) {
            throw std::runtime_error("Prism did not start:\n" + server->log());
        }
        return server;
    }

    int port_ = 0;
    std::unique_ptr<test::subprocess> process_;
};

// Returns Prism, or nullptr after announcing a skip (ctest reports these tests as skipped).
// With MISTRAL_REQUIRE_PRISM set, as CI sets it, a missing Prism fails instead.
prism_server* prism_or_skip() {
    if (auto* p = prism_server::get()) return p;
    if (std::getenv("MISTRAL_REQUIRE_PRISM") != nullptr) {
        FAIL("Prism is not installed: run npm ci in tests/spec");
    }
    std::cout << "MISTRAL_SKIP: Prism is not installed (npm ci in tests/spec)\n";
    return nullptr;
}

struct named_request {
    std::string name;
    chat_request request;
};

std::vector<named_request> accepted_requests() {
    using chunks = std::vector<content_chunk>;
    const chat_request base{.model = "mistral-small-latest", .messages = {user("Hi")}};
    auto with = [&](auto change) {
        chat_request r = base;
        change(r);
        return r;
    };
    std::vector<named_request> out;
    out.push_back({"every field", test::request_with_every_field()});
    out.push_back({"minimal", base});
    out.push_back({"streaming", with([](chat_request& r) { r.stream = true; })});
    out.push_back({"stop as a string", with([](chat_request& r) { r.stop = "END"; })});
    for (const char* mode : {tool_choice_mode::automatic, tool_choice_mode::none,
                             tool_choice_mode::any, tool_choice_mode::required}) {
        out.push_back(
            {std::string("tool_choice ") + mode, with([&](chat_request& r) {
                 r.tools = std::vector<tool>{make_function_tool(
                     "f", "does f", {{"type", "object"}, {"properties", json::object{}}})};
                 r.tool_choice = mode;
             })});
    }
    out.push_back({"response_format text",
                   with([](chat_request& r) { r.response_format = response_format{}; })});
    out.push_back({"response_format json_object",
                   with([](chat_request& r) { r.response_format = json_object_format(); })});
    out.push_back(
        {"json_schema without optional members", with([](chat_request& r) {
             r.response_format = json_schema_format({.name = "s", .schema = {{"type", "object"}}});
         })});
    out.push_back(
        {"conversation with every role", with([](chat_request& r) {
             r.messages = {
                 mistral::system("Be brief."),
                 user("Weather in Paris?"),
                 assistant_message{
                     .tool_calls =
                         std::vector<tool_call>{
                             {.id = "D681PevKs",
                              .function = {.name = "get_weather",
                                           .arguments = json::object{{"city", "Paris"}}}}}},
                 tool_result("D681PevKs", "18C"),
                 assistant("It is 18C."),
                 user("Thanks"),
                 assistant_message{.content = "You", .prefix = true}};
         })});
    out.push_back({"every content chunk type", with([](chat_request& r) {
                       r.messages = {user_message{
                           .content = chunks{
                               text_chunk{.text = "t"},
                               image_url_chunk{.image_url = image_url{.url = "https://e.x/i.png"}},
                               document_url_chunk{.document_url = "https://e.x/d.pdf"},
                               reference_chunk{.reference_ids = {std::int64_t{3}}},
                               file_chunk{.file_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
                               thinking_chunk{.thinking = {text_chunk{.text = "x"}}},
                               input_audio_chunk{.input_audio = "AAAA"},
                           }}};
                   })});
    out.push_back(
        {"guardrail thresholds", with([](chat_request& r) {
             r.guardrails = std::vector<guardrail_config>{
                 {.moderation_llm_v1 =
                      moderation_llm_v1_config{
                          .model_name = "mistral-moderation-2411",
                          .custom_category_thresholds =
                              moderation_v1_thresholds{.sexual = 0.1,
                                                       .hate_and_discrimination = 0.1,
                                                       .violence_and_threats = 0.1,
                                                       .dangerous_and_criminal_content = 0.1,
                                                       .selfharm = 0.1,
                                                       .health = 0.1,
                                                       .financial = 0.1,
                                                       .law = 0.1,
                                                       .pii = 0.1},
                          .ignore_other_categories = false,
                          .action = "none"},
                  .moderation_llm_v2 = moderation_llm_v2_config{
                      .custom_category_thresholds = moderation_v2_thresholds{
                          .dangerous = 0.2, .criminal = 0.2, .jailbreaking = 0.2}}}};
         })});
    out.push_back(
        {"built-in tools with configuration", with([](chat_request& r) {
             const tool_configuration cfg{.include = std::vector<std::string>{"a"}};
             r.tools = std::vector<tool>{
                 web_search_tool{.tool_configuration = cfg},
                 code_interpreter_tool{.tool_configuration = cfg},
                 image_generation_tool{.tool_configuration = cfg},
                 document_library_tool{.library_ids = {"l"}, .tool_configuration = cfg},
                 connector_tool{
                     .connector_id = "c",
                     .authorization = connector_authorization{.type = "oauth2-token", .value = "t"},
                     .tool_configuration = cfg}};
         })});
    out.push_back({"structured output and tools made from C++ types, and a tool round",
                   with([](chat_request& r) {
                       r.response_format = json_schema_format<spec_test::place>("place");
                       toolbox tools;
                       tools.add("lookup", "Finds a place",
                                 [](const spec_test::place& p) { return p.name; });
                       r.tools = tools.definitions();
                       const tool_call call{
                           .id = "abcDEF123",
                           .type = "function",
                           .function = {.name = "lookup", .arguments = R"({"name":"Paris"})"}};
                       r.messages.push_back(assistant_message{
                           .content = std::string(), .tool_calls = std::vector<tool_call>{call}});
                       r.messages.push_back(tools.run(call));
                   })});
    out.push_back({"limits of the numeric ranges", with([](chat_request& r) {
                       r.temperature = 1.5;
                       r.top_p = 1.0;
                       r.presence_penalty = -2.0;
                       r.frequency_penalty = 2.0;
                       r.n = 1;
                       r.max_tokens = 0;
                       r.random_seed = 0;
                   })});
    return out;
}

// A client whose every request fails to connect, so that the mock records each request exactly
// as the client built it (no retry), for Prism to judge.
struct recording_client {
    testing::mock_transport mock;
    basic_client<testing::mock_transport> client;

    explicit recording_client(int requests) : client(make(mock, requests)) {}

    // Every request made so far, judged by Prism against the specification.
    void check_each(prism_server& prism) {
        for (const auto& r : mock.requests()) {
            const std::string target = r.url.substr(std::string("https://api.mistral.ai").size());
            INFO(r.method << " " << target << " " << r.body);
            const auto content_type = r.headers.find("Content-Type");
            const int status = prism.send(
                r.method, target, r.body,
                content_type ? std::string(*content_type) : std::string("application/json"));
            if (status != 200) std::cout << prism.log();
            CHECK(status == 200);
        }
    }

    // Runs a call, whose failure to connect is expected.
    template <class Call>
    void attempt(Call&& call) {
        try {
            call(client);
        } catch (const transport_error&) {}
    }

private:
    static basic_client<testing::mock_transport> make(testing::mock_transport& mock, int requests) {
        for (int i = 0; i < requests; ++i)
            mock.enqueue(testing::scripted_response::failure(transport_error_kind::connect));
        client_options options{.api_key = "k"};
        options.retry.max_retries = 0;
        return {options, mock};
    }
};

}  // namespace

TEST_CASE("every request the types express is valid under the official specification") {
    auto* prism = prism_or_skip();
    if (prism == nullptr) return;
    for (const auto& [name, request] : accepted_requests()) {
        INFO(name << ": " << to_json(request));
        const int status = prism->post(to_json(request));
        if (status != 200) std::cout << prism->log();
        CHECK(status == 200);
    }
}

TEST_CASE("the validator rejects unknown fields and wrong types, so the check can fail") {
    auto* prism = prism_or_skip();
    if (prism == nullptr) return;
    chat_request base{.model = "mistral-small-latest", .messages = {user("Hi")}};
    REQUIRE(prism->post(to_json(base)) == 200);

    chat_request unknown = base;
    unknown.extra = {{"max_completion_tokens", 5}};
    CHECK(prism->post(to_json(unknown)) == 422);

    CHECK(prism->post(
              R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})") ==
          422);

    chat_request out_of_range = base;
    out_of_range.temperature = 2.0;
    CHECK(prism->post(to_json(out_of_range)) == 422);

    CHECK(prism->post(R"({"model":"m","messages":[{"role":"developer","content":"x"}]})") == 422);
    CHECK(prism->post(
              R"({"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]})") == 422);
}

TEST_CASE("the next request after a folded stream of every server family is valid") {
    // test_compat.cpp proves that each family's stream folds to exactly this assistant message.
    auto* prism = prism_or_skip();
    if (prism == nullptr) return;
    for (const auto& family : test::stream_families) {
        const auto reply = json::value_to<assistant_message>(
            test::fixture_json(std::string("streams/") + family.name + ".message.json"));
        const std::string body = to_json(test::next_request(reply));
        INFO(family.name << ": " << body);
        const int status = prism->post(body);
        if (status != 200) std::cout << prism->log();
        CHECK(status == 200);
    }
}

TEST_CASE("every embeddings and models request the client sends is valid under the specification") {
    auto* prism = prism_or_skip();
    if (prism == nullptr) return;
    recording_client r(4);
    r.attempt([](auto& c) {
        c.embeddings({.model = "mistral-embed", .input = {"first", "second"}});
    });
    r.attempt([](auto& c) {
        c.embeddings({.model = "mistral-embed",
                      .input = {"every field"},
                      .metadata = json::object{{"job", "spec"}},
                      .output_dimension = 256,
                      .output_dtype = "int8",
                      .encoding_format = "float"});
    });
    r.attempt([](auto& c) { c.models(); });
    r.attempt([](auto& c) { c.model("ft:open-mistral-7b:587a6b29:20240514:7e773925"); });
    REQUIRE(r.mock.requests().size() == 4);
    r.check_each(*prism);
    // The same validator refuses what the specification does not allow on these paths.
    CHECK(prism->send("POST", "/v1/embeddings", R"({"model":"m","input":["x"],"dims":3})") == 422);
    CHECK(prism->send("POST", "/v1/embeddings", R"({"model":"m"})") == 422);
}

TEST_CASE(
    "every FIM, moderation and OCR request the client sends is valid under the specification") {
    auto* prism = prism_or_skip();
    if (prism == nullptr) return;
    recording_client r(8);
    const fim_request fim{.model = "codestral-latest",
                          .prompt = "def add(a, b):",
                          .temperature = 0.2,
                          .top_p = 0.9,
                          .max_tokens = 64,
                          .stop = std::vector<std::string>{"\n\n"},
                          .random_seed = 1,
                          .metadata = json::object{{"job", "spec"}},
                          .suffix = "    return c",
                          .min_tokens = 1,
                          .prompt_cache_key = "editor-1"};
    r.attempt([&](auto& c) { c.fim(fim); });
    r.attempt([&](auto& c) { c.fim_stream(fim, [](const chat_chunk&) {}); });
    r.attempt([](auto& c) { c.fim({.model = "codestral-latest", .prompt = "x"}); });
    r.attempt([](auto& c) {
        c.moderations({.model = "mistral-moderation-latest",
                       .input = {"one", "two"},
                       .metadata = json::object{{"job", "spec"}}});
    });
    r.attempt([](auto& c) {
        c.chat_moderations(
            {.model = "mistral-moderation-latest",
             .input = {mistral::system("Be nice."), user("Hi"), assistant("Hello!")}});
    });
    r.attempt([](auto& c) {
        c.ocr({.model = "mistral-ocr-latest",
               .document = document_url("https://example.com/a.pdf"),
               .pages = std::vector<std::int64_t>{0, 2},
               .include_image_base64 = true,
               .image_limit = 4,
               .image_min_size = 50,
               .bbox_annotation_format = response_format{.type = "json_object"},
               .document_annotation_format = response_format{.type = "text"},
               .document_annotation_prompt = "Summarize.",
               .table_format = "markdown",
               .extract_header = true,
               .extract_footer = false,
               .include_blocks = true,
               .confidence_scores_granularity = "page"});
    });
    r.attempt([](auto& c) {
        c.ocr({.model = "mistral-ocr-latest",
               .document = image_url_chunk{.image_url = "data:image/png;base64,iVBORw0KGgo="}});
    });
    r.attempt([](auto& c) {
        c.ocr({.model = "mistral-ocr-latest",
               .document = file_chunk{.file_id = "9f0a7f9e-4a4c-4f3b-9b7a-2d8f5c1e6a10"}});
    });
    REQUIRE(r.mock.requests().size() == 8);
    r.check_each(*prism);
    CHECK(prism->send("POST", "/v1/fim/completions", R"({"model":"m","prompt":"x","n":2})") == 422);
    CHECK(prism->send("POST", "/v1/moderations", R"({"model":"m"})") == 422);
    CHECK(prism->send("POST", "/v1/ocr", R"({"model":"m","document":{"type":"document_url"}})") ==
          422);
}

TEST_CASE("every Batch API and files request the client sends is valid under the specification") {
    auto* prism = prism_or_skip();
    if (prism == nullptr) return;
    recording_client r(11);
    const std::string file_id = "9f0a7f9e-4a4c-4f3b-9b7a-2d8f5c1e6a10";
    const std::string job_id = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
    r.attempt([](auto& c) {
        c.upload_file(
            {.filename = "batch.jsonl",
             .content = batch_request_line(
                            {.custom_id = "q1", .body = {.model = "m", .messages = {user("hi")}}}) +
                        "\n",
             .visibility = "workspace",
             .expiry = 48});
    });
    r.attempt([](auto& c) {
        c.files({.page = 1, .page_size = 10, .purpose = file_purpose::batch, .search = "a b"});
    });
    r.attempt([&](auto& c) { c.file(file_id); });
    r.attempt([&](auto& c) { c.file_content(file_id, [](std::string_view) {}); });
    r.attempt([&](auto& c) { c.delete_file(file_id); });
    r.attempt([&](auto& c) {
        c.create_batch_job({.input_files = std::vector<std::string>{file_id},
                            .model = "mistral-small-latest",
                            .metadata = std::map<std::string, std::string>{{"job", "spec"}},
                            .timeout_hours = 48});
    });
    r.attempt([](auto& c) {
        c.create_batch_job(
            {.requests =
                 std::vector<batch_request>{
                     {.custom_id = "a",
                      .body = {.model = "m", .messages = {user("hi")}, .temperature = 0.2}},
                     {.body = {.messages = {user("again")}}}},
             .model = "mistral-small-latest"});
    });
    r.attempt([](auto& c) {
        c.batch_jobs({.page = 0,
                      .page_size = 5,
                      .model = "mistral-small-latest",
                      .created_after = "2026-12-01T00:00:00Z",
                      .created_by_me = true,
                      .status = {batch_status::queued, batch_status::running},
                      .order_by = "-created"});
    });
    r.attempt([](auto& c) { c.batch_jobs(); });
    r.attempt([&](auto& c) { c.batch_job(job_id); });
    r.attempt([&](auto& c) { c.batch_cancel(job_id); });
    REQUIRE(r.mock.requests().size() == 11);
    r.check_each(*prism);
    // The same validator refuses what the specification does not allow on these paths.
    CHECK(prism->send("POST", "/v1/batch/jobs", R"({"input_files":["x"]})") == 422);
    CHECK(prism->send("POST", "/v1/batch/jobs",
                      R"({"endpoint":"/v1/chat/completions","requests":[{"custom_id":"a"}]})") ==
          422);
}
