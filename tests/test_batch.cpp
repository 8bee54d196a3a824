// tests/test_batch.cpp: the Batch API and its files, over loopback to the fake server's Batch API
// with the default transport: the whole workflow (upload, create, poll, results), the files
// calls, the limits checked before anything is sent, and the JSONL lines read and written.
#include <mistral/mistral.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "catch.hpp"
#include "support/expect_error.hpp"
#include "support/fake_server.hpp"
#include "support/loopback.hpp"

using namespace mistral;
using namespace mistral::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// A client whose waits between polls are counted, not slept.
struct polling_client {
    explicit polling_client(const fake_server& server) : c(make_options(server, sleeps)) {}
    static client_options make_options(const fake_server& server,
                                       std::vector<std::chrono::milliseconds>& sleeps) {
        client_options o = options_for(server.base_url());
        o.environment.sleep = [&sleeps](std::chrono::milliseconds d, const stop_token&) {
            sleeps.push_back(d);
        };
        return o;
    }
    std::vector<std::chrono::milliseconds> sleeps;
    client c;
};

received_request last_request(const fake_server& server) {
    const auto all = server.requests();
    REQUIRE_FALSE(all.empty());
    return all.back();
}

std::vector<batch_request> three_questions() {
    return {{.custom_id = "capital", .body = question("What is the capital of France?")},
            {.custom_id = "hello", .body = {.model = "", .messages = {user("Say hello")}}},
            // The fake server refuses a tool-call id that is not 9 characters, as the API does.
            {.custom_id = "refused",
             .body = {.model = "mistral-small-latest",
                      .messages = {user("x"), tool_result("bad", "y")}}}};
}

}  // namespace

TEST_CASE("batch_submit, batch_wait, batch_results: the whole workflow over loopback") {
    fake_server server;
    polling_client p(server);
    const auto items = three_questions();
    batch_job job =
        p.c.batch_submit(items, {.model = "mistral-small-latest",
                                 .metadata = std::map<std::string, std::string>{{"run", "nightly"}},
                                 .timeout_hours = 2});
    CHECK(job.id.rfind("batch-", 0) == 0);
    CHECK(job.status == batch_status::queued);
    CHECK(job.total_requests == 3);
    REQUIRE(job.input_files.size() == 1);
    CHECK(job.model == "mistral-small-latest");

    // Two requests: the upload (multipart, parsed by the server), then the job from its id.
    auto sent = server.requests();
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].method == "POST");
    CHECK(sent[0].path == "/v1/files");
    CHECK(sent[0].headers.find("Content-Type")->second.rfind("multipart/form-data; boundary=", 0) ==
          0);
    const file_object uploaded = p.c.file(job.input_files[0]);
    CHECK(uploaded.filename == "batch.jsonl");
    CHECK(uploaded.purpose == "batch");
    CHECK(uploaded.num_lines == 3);
    std::string content;
    p.c.file_content(job.input_files[0], [&](std::string_view bytes) { content += bytes; });
    // The lines are chat's request bodies as chat() sends them; a request without a model has
    // the job's.
    CHECK(content ==
          R"({"custom_id":"capital","body":{"model":"mistral-small-latest","messages":[{"role":)"
          R"("user","content":"What is the capital of France?"}]}})"
          "\n"
          R"({"custom_id":"hello","body":{"model":"mistral-small-latest","messages":[{"role":)"
          R"("user","content":"Say hello"}]}})"
          "\n"
          R"({"custom_id":"refused","body":{"model":"mistral-small-latest","messages":[{"role":)"
          R"("user","content":"x"},{"role":"tool","content":"y","tool_call_id":"bad"}]}})"
          "\n");
    CHECK(json::parse(sent[1].body) ==
          json::parse(R"({"input_files":[")" + job.input_files[0] +
                      R"("],"endpoint":"/v1/chat/completions","model":"mistral-small-latest",)"
                      R"("metadata":{"run":"nightly"},"timeout_hours":2})"));

    job = p.c.batch_wait(job.id, {.poll_interval = 250ms});
    CHECK(job.status == batch_status::success);
    // The first poll finds it RUNNING, the second done.
    CHECK(p.sleeps == std::vector<std::chrono::milliseconds>{250ms});
    CHECK(job.succeeded_requests == 2);
    CHECK(job.failed_requests == 1);
    REQUIRE(job.output_file);
    REQUIRE(job.error_file);

    std::map<std::string, batch_result> results;
    p.c.batch_results(job, [&](const batch_result& r) { results[r.custom_id] = r; });
    REQUIRE(results.size() == 3);
    const batch_result& capital = results.at("capital");
    CHECK(capital.status_code == 200);
    REQUIRE(capital.response);
    CHECK(capital.response->choices.at(0).message.text().find("Paris") != std::string::npos);
    CHECK(capital.response->usage.total_tokens > 0);
    CHECK_FALSE(capital.error);
    CHECK(results.at("hello").response);
    const batch_result& refused = results.at("refused");
    CHECK(refused.status_code == 400);
    CHECK_FALSE(refused.response);
    REQUIRE(refused.error);
    CHECK(*refused.error == "the request failed with status 400");
    REQUIRE(refused.error_detail);
    CHECK(refused.error_detail->at("code") == 400);

    // A callback returning false stops at once.
    int seen = 0;
    p.c.batch_results(job, [&](const batch_result&) { return ++seen < 1; });
    CHECK(seen == 1);
}

TEST_CASE("batch jobs: inline requests, list with filters, cancel") {
    fake_server server;
    polling_client p(server);
    batch_job_request inline_job{.requests = three_questions(), .model = "mistral-small-latest"};
    inline_job.requests->pop_back();
    const batch_job created = p.c.create_batch_job(inline_job);
    CHECK(created.total_requests == 2);
    CHECK(
        json::parse(last_request(server).body) ==
        json::parse(R"({"requests":[)"
                    R"({"custom_id":"capital","body":{"model":"mistral-small-latest",)"
                    R"("messages":[{"role":"user","content":"What is the capital of France?"}]}},)"
                    R"({"custom_id":"hello","body":{"model":"mistral-small-latest",)"
                    R"("messages":[{"role":"user","content":"Say hello"}]}}],)"
                    R"("endpoint":"/v1/chat/completions","model":"mistral-small-latest"})"));

    const batch_job other = p.c.create_batch_job(inline_job);
    CHECK(p.c.batch_cancel(other.id).status == batch_status::cancellation_requested);
    const batch_job cancelled = p.c.batch_wait(other.id, {.poll_interval = 1ms});
    CHECK(cancelled.status == batch_status::cancelled);
    CHECK_FALSE(cancelled.output_file);
    int results = 0;
    p.c.batch_results(cancelled, [&](const batch_result&) { ++results; });
    CHECK(results == 0);  // a final job without files has no results

    const batch_job_list all = p.c.batch_jobs();
    CHECK(all.total == 2);
    const batch_job_list queued =
        p.c.batch_jobs({.page = 0, .page_size = 10, .status = {batch_status::queued}});
    REQUIRE(queued.data.size() == 1);
    CHECK(queued.data[0].id == created.id);
    CHECK(last_request(server).target == "/v1/batch/jobs?page=0&page_size=10&status=QUEUED");
    CHECK(last_request(server).body.empty());

    // Results before the job ended are a usage error, not an empty set.
    const auto early =
        expect_error<usage_error>([&] { p.c.batch_results(created, [](const batch_result&) {}); });
    CHECK(std::string(early.what()).find("QUEUED") != std::string::npos);
}

TEST_CASE("batch_wait: a bound, and cancellation between polls") {
    fake_server server;
    polling_client p(server);
    const batch_job job =
        p.c.create_batch_job({.requests = std::vector<batch_request>{{.body = question()}}});
    const auto late = expect_error<transport_error>(
        [&] { p.c.batch_wait(job.id, {.poll_interval = 10ms, .timeout = 5ms}); });
    CHECK(late.kind() == transport_error_kind::timeout);
    CHECK(std::string(late.what()).find(job.id + " is still RUNNING") != std::string::npos);

    client real(options_for(server.base_url()));
    stop_source stop;
    std::thread canceller([&] {
        std::this_thread::sleep_for(100ms);
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    const auto cancelled = expect_error<transport_error>([&] {
        // A new job, so that it is still running when the stop comes.
        const batch_job slow =
            real.create_batch_job({.requests = std::vector<batch_request>{{.body = question()}}});
        real.batch_wait(slow.id, {.poll_interval = 60s}, {.stop = stop.get_token()});
    });
    canceller.join();
    CHECK(cancelled.kind() == transport_error_kind::cancelled);
    CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("files: upload, list, get, download in pieces, delete, and a missing one") {
    fake_server server;
    client c(options_for(server.base_url()));
    // The content holds what looks like the boundary: the body's boundary must be another one.
    std::string data = "--mistral-cpp-boundary-\r\n";
    for (int i = 0; i < 20000; ++i) data += "line " + std::to_string(i) + "\n";
    const file_object up = c.upload_file(
        {.filename = "data.jsonl", .content = data, .purpose = file_purpose::fine_tune});
    CHECK(up.bytes == static_cast<std::int64_t>(data.size()));
    CHECK(up.purpose == "fine-tune");
    CHECK(up.source == "upload");
    c.upload_file({.filename = "in.jsonl", .content = "{}\n"});

    CHECK(c.files().data.size() == 2);
    const file_list batch_files = c.files({.purpose = file_purpose::batch});
    REQUIRE(batch_files.data.size() == 1);
    CHECK(batch_files.data[0].filename == "in.jsonl");
    CHECK(last_request(server).target == "/v1/files?purpose=batch");

    std::string got;
    int pieces = 0;
    c.file_content(up.id, [&](std::string_view bytes) {
        got += bytes;
        ++pieces;
    });
    CHECK(got == data);
    CHECK(pieces > 1);  // handed over as it arrives, not whole

    const file_deleted gone = c.delete_file(up.id);
    CHECK(gone.deleted);
    CHECK(gone.id == up.id);
    const auto missing = expect_error<api_error>([&] { c.file(up.id); });
    CHECK(missing.status() == 404);
    const auto missing_content =
        expect_error<api_error>([&] { c.file_content(up.id, [](std::string_view) {}); });
    CHECK(missing_content.status() == 404);
    CHECK(std::string(missing_content.what()).find(loopback_key) == std::string::npos);
}

TEST_CASE("the Batch API's limits are checked before anything is sent") {
    fake_server server;
    client c(options_for(server.base_url()));
    const auto refused = [&](auto&& call, const std::string& says) {
        const auto e = expect_error<usage_error>(call);
        INFO(e.what());
        CHECK(std::string(e.what()).find(says) != std::string::npos);
    };
    std::vector<batch_request> many(max_inline_batch_requests + 1, {.body = question()});
    refused([&] { c.create_batch_job({.requests = many}); }, "10001 requests inline");
    refused([&] { c.create_batch_job({.requests = std::vector<batch_request>{}}); }, "no requests");
    refused([&] { c.create_batch_job({}); }, "either input_files or requests");
    refused(
        [&] {
            c.create_batch_job({.input_files = std::vector<std::string>{"f"},
                                .requests = std::vector<batch_request>{{}}});
        },
        "either input_files or requests");
    refused([&] { c.create_batch_job({.input_files = std::vector<std::string>{}}); },
            "input_files is empty");
    for (const std::int64_t hours : {0, 169}) {
        refused([&] { c.batch_submit(three_questions(), {.model = "m", .timeout_hours = hours}); },
                "timeout_hours is " + std::to_string(hours) + ", the API takes 1 to 168");
    }
    refused(
        [&] {
            c.batch_submit(
                three_questions(),
                {.model = "m",
                 .metadata = std::map<std::string, std::string>{{std::string(33, 'k'), "v"}}});
        },
        "keys take 1 to 32 characters");
    refused([&] { c.batch_submit(three_questions()); },
            "batch request 1 (custom_id \"hello\"): model is empty");
    auto streamed = three_questions();
    streamed[2].body.stream = true;
    refused([&] { c.batch_submit(streamed, {.model = "m"}); },
            "batch request 2 (custom_id \"refused\"): \"stream\": true");
    auto twice = three_questions();
    twice[2].custom_id = "capital";
    refused([&] { c.batch_submit(twice, {.model = "m"}); }, "the custom_id is given twice");
    refused([&] { c.batch_submit({}); }, "no requests");
    refused([&] { c.upload_file({.filename = "a\"b.jsonl", .content = "x"}); }, "quote");
    refused([&] { c.upload_file({.filename = "a.jsonl\\", .content = "x"}); }, "backslash");
    refused([&] { c.upload_file({.filename = "a.jsonl\r\nX: y", .content = "x"}); },
            "control character");
    refused([&] { c.upload_file({.filename = "a.jsonl", .content = "x", .purpose = "batch\r\n"}); },
            "purpose holds a control character");
    refused([&] { c.upload_file({.filename = "a.jsonl"}); }, "it is empty");
    refused([&] { c.batch_job(".."); }, "\"..\" is not a batch job id");
    refused([&] { c.file(""); }, "is not a file id");
    CHECK(server.requests().empty());

    // An id cannot add a segment or a query: it goes percent-encoded (and the server finds no
    // such route).
    std::vector<std::string> log;
    client_options logged = options_for(server.base_url());
    logged.debug = [&](std::string_view line) { log.emplace_back(line); };
    client d(logged);
    expect_error<api_error>([&] { d.batch_job("x/../../v1/files?purpose=batch"); });
    REQUIRE_FALSE(log.empty());
    CHECK(log[0].find("/v1/batch/jobs/x%2F..%2F..%2Fv1%2Ffiles%3Fpurpose%3Dbatch") !=
          std::string::npos);
    CHECK(server.requests().empty());
}

TEST_CASE("batch results: every line shape, and a bad line named by file and number") {
    const batch_result ok = parse_batch_result(
        R"({"id":"b-0","custom_id":"a","response":{"status_code":200,"body":{"id":"c1",)"
        R"("object":"chat.completion","created":1,"model":"m","choices":[{"index":0,)"
        R"("message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],)"
        R"("usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}},"error":null})");
    CHECK(ok.id == "b-0");
    CHECK(ok.custom_id == "a");
    REQUIRE(ok.response);
    CHECK(ok.response->choices.at(0).message.text() == "hi");

    const batch_result as_text =
        parse_batch_result(R"({"custom_id":"b","response":null,"error":"model not found"})");
    CHECK(as_text.error == "model not found");
    CHECK(as_text.status_code == 0);
    const batch_result as_status = parse_batch_result(
        R"({"custom_id":"c","response":{"status_code":422,"body":{"object":"error",)"
        R"("message":"bad temperature","type":"invalid_request_error"}}})");
    CHECK(as_status.status_code == 422);
    CHECK(as_status.error == "bad temperature");
    REQUIRE(as_status.error_body);
    CHECK(as_status.error_body->at("type") == "invalid_request_error");
    // The line's error and the response's body are both kept.
    const batch_result both = parse_batch_result(
        R"({"custom_id":"c","response":{"status_code":400,"body":{"message":"no","code":"3280"}},)"
        R"("error":{"message":"the request failed","code":400}})");
    CHECK(both.error == "the request failed");
    CHECK(both.error_detail->at("code") == 400);
    CHECK(both.error_body->at("code") == "3280");

    const auto wrong_type = expect_error<protocol_error>([] {
        parse_batch_result(R"({"custom_id":"d","response":{"status_code":200,"body":{"id":7}}})");
    });
    CHECK(wrong_type.path().rfind("response.body.", 0) == 0);
    expect_error<protocol_error>([] { parse_batch_result("not json"); });
    expect_error<protocol_error>([] { parse_batch_result(R"({"custom_id":"e"})"); });

    // Over loopback: the second line of the output file is broken.
    fake_server server;
    client c(options_for(server.base_url()));
    const std::string good_line =
        R"({"custom_id":"a","response":null,"error":{"message":"quota","code":"3505"}})";
    server.script(
        faults::status(200, good_line + "\n\n{\"custom_id\":\"b\",\n", "application/octet-stream"));
    batch_job job;
    job.id = "batch-x";
    job.status = batch_status::success;
    job.output_file = "file-out";
    std::vector<std::string> seen;
    const auto bad = expect_error<protocol_error>(
        [&] { c.batch_results(job, [&](const batch_result& r) { seen.push_back(*r.error); }); });
    CHECK(seen == std::vector<std::string>{"quota"});
    CHECK(std::string(bad.what()).find("file file-out line 3: ") != std::string::npos);
    CHECK(last_request(server).target == "/v1/files/file-out/content");
}

TEST_CASE("a batch job's creation is retried only when the server cannot have acted on it") {
    fake_server server;
    client c(options_for(server.base_url()));
    const batch_job_request job{.requests = std::vector<batch_request>{{.body = question()}}};
    // A 503 may come after the job was made: retrying could run (and bill) it twice.
    server.script(faults::status(503, R"({"object":"error","message":"unavailable"})"));
    const auto e = expect_error<api_error>([&] { c.create_batch_job(job); });
    CHECK(e.status() == 503);
    CHECK(server.requests().size() == 1);
    CHECK(c.batch_jobs().total == 0);
    // A 429 means it was not made: retried after its Retry-After.
    server.script(faults::status(429, R"({"object":"error","message":"slow down"})",
                                 "application/json", {{"Retry-After", "0.01"}}));
    CHECK(c.create_batch_job(job).status == batch_status::queued);
    CHECK(c.batch_jobs().total == 1);
}
