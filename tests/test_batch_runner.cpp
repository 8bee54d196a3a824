// tests/test_batch_runner.cpp: mistral-batch run, end to end: the program started as a user starts
// it, against the fake server over loopback, with injected 429s, 503s and dropped connections, a
// rate limit, SIGKILL mid-run and a resume, bad input lines and an output that cannot be written.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "catch.hpp"
#include "support/fake_server.hpp"
#include "support/loopback.hpp"
#include "support/subprocess.hpp"

using namespace mistral::test;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// A directory of its own for each test case, removed after it.
struct scratch {
    scratch()
        : dir(fs::temp_directory_path() /
              ("mistral-batch-" + std::to_string(::getpid()) + "-" + std::to_string(++count))) {
        fs::create_directories(dir);
    }
    ~scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string path(const std::string& name) const { return (dir / name).string(); }
    static inline int count = 0;
    fs::path dir;
};

// `lines` requests "Question number i", custom_id "q<i>"; every third one has no model.
void write_input(const std::string& path, int lines) {
    std::ofstream out(path);
    for (int i = 0; i < lines; ++i) {
        json::object body{{"messages", json::array{json::object{
                                           {"role", "user"},
                                           {"content", "Question number " + std::to_string(i)}}}}};
        if (i % 3 != 0) body["model"] = "mistral-small-latest";
        out << json::serialize(
                   json::object{{"custom_id", "q" + std::to_string(i)}, {"body", std::move(body)}})
            << "\n";
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<json::object> output_lines(const std::string& path) {
    std::vector<json::object> out;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line).as_object());
    return out;
}

struct runner {
    const fake_server& server;
    scratch& dir;
    std::vector<std::string> extra_env{};

    std::unique_ptr<subprocess> start(std::vector<std::string> args) const {
        args.insert(args.begin(), MISTRAL_BATCH_PROGRAM);
        std::vector<std::string> env{std::string("MISTRAL_API_KEY=") + loopback_key,
                                     "MISTRAL_BASE_URL=" + server.base_url()};
        env.insert(env.end(), extra_env.begin(), extra_env.end());
        return std::make_unique<subprocess>(args, dir.path("log.txt"), env);
    }
    // Runs to the end: the exit status and what it printed.
    std::pair<int, std::string> run(std::vector<std::string> args) const {
        auto p = start(std::move(args));
        const int status = p->wait();
        return {status, p->log()};
    }
};

// The question each chat completion the server received asks, by its number.
std::map<int, int> questions_asked(const std::vector<received_request>& requests,
                                   std::size_t from = 0) {
    std::map<int, int> out;
    for (std::size_t i = from; i < requests.size(); ++i) {
        const auto& r = requests[i];
        const auto at = r.body.find("Question number ");
        if (r.path != "/v1/chat/completions" || at == std::string::npos) continue;
        ++out[std::stoi(r.body.substr(at + 16))];
    }
    return out;
}

void check_complete(const std::string& output, int lines) {
    const auto got = output_lines(output);
    REQUIRE(got.size() == static_cast<std::size_t>(lines));
    for (int i = 0; i < lines; ++i) {
        INFO("line " << i + 1);
        CHECK(got[i].at("custom_id") == json::value("q" + std::to_string(i)));
        CHECK(got[i].at("error").is_null());
        const auto& body = got[i].at("response").at("body");
        CHECK(json::serialize(body).find("Question number " + std::to_string(i) + "\\\"") !=
              std::string::npos);
    }
}

}  // namespace

TEST_CASE("mistral-batch run: thousands of lines through 429s, 503s and dropped connections") {
    fake_server server({.threads = 48, .fail_every = 7});
    scratch dir;
    write_input(dir.path("in.jsonl"), 2000);
    const auto [status, log] =
        runner{server, dir}.run({"run", dir.path("in.jsonl"), dir.path("out.jsonl"), "--model",
                                 "mistral-small-latest", "--in-flight", "32"});
    INFO(log);
    REQUIRE(status == 0);
    check_complete(dir.path("out.jsonl"), 2000);
    const auto requests = server.requests();
    CHECK(requests.size() > 2000 + 2000 / 7 - 10);  // every injected failure was retried
    const auto asked = questions_asked(requests);
    CHECK(asked.size() == 2000);
    CHECK(log.find("2000 lines in") != std::string::npos);
    CHECK(log.find(loopback_key) == std::string::npos);
    CHECK(read_file(dir.path("out.jsonl")).find(loopback_key) == std::string::npos);
}

TEST_CASE(
    "mistral-batch run: killed with SIGKILL mid-run, then resumed: every line once, in order") {
    fake_server server({.threads = 32, .latency = 10ms});
    scratch dir;
    const int lines = 2000;
    write_input(dir.path("in.jsonl"), lines);
    const std::vector<std::string> args{"run",     dir.path("in.jsonl"),   dir.path("out.jsonl"),
                                        "--model", "mistral-small-latest", "--in-flight",
                                        "16"};
    const runner r{server, dir};
    auto first = r.start(args);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::count(std::istreambuf_iterator<char>(
                          *std::make_unique<std::ifstream>(dir.path("out.jsonl"))),
                      std::istreambuf_iterator<char>(), '\n') < 300 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    first->kill_now();
    std::string before = read_file(dir.path("out.jsonl"));
    const auto written = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    REQUIRE(written >= 300);
    REQUIRE(written < lines);
    // As if the kill had come in the middle of a write: a partial last line.
    before = before.substr(0, before.rfind('\n') + 1);
    std::ofstream(dir.path("out.jsonl"), std::ios::binary | std::ios::trunc)
        << before << R"({"id":"fake-cmpl-9","custom_id":"q)";
    const std::size_t sent_before = server.requests().size();

    const auto [status, log] = r.run(args);
    INFO(log);
    REQUIRE(status == 0);
    CHECK(log.find("ended with a partial line") != std::string::npos);
    check_complete(dir.path("out.jsonl"), lines);
    CHECK(read_file(dir.path("out.jsonl")).starts_with(before));  // appended, never rewritten
    // Nothing already written was sent again.
    const auto again = questions_asked(server.requests(), sent_before);
    CHECK(again.begin()->first == written);
    CHECK(again.size() == static_cast<std::size_t>(lines - written));

    // A third run finds everything done and sends nothing.
    const std::size_t sent_after = server.requests().size();
    const auto [done_status, done_log] = r.run(args);
    CHECK(done_status == 0);
    CHECK(done_log.find("all 2000 lines are in") != std::string::npos);
    CHECK(server.requests().size() == sent_after);
}

TEST_CASE("mistral-batch run: --rps bounds every HTTP request in any one-second window") {
    fake_server server({.threads = 32, .fail_every = 5});
    scratch dir;
    write_input(dir.path("in.jsonl"), 400);
    const auto [status, log] =
        runner{server, dir}.run({"run", dir.path("in.jsonl"), dir.path("out.jsonl"), "--model",
                                 "mistral-small-latest", "--rps", "150", "--in-flight", "32"});
    INFO(log);
    REQUIRE(status == 0);
    check_complete(dir.path("out.jsonl"), 400);
    const auto requests = server.requests();
    REQUIRE(requests.size() > 400);  // retries, which count too
    std::size_t most = 0;
    for (std::size_t i = 0, j = 0; j < requests.size(); ++j) {
        while (requests[j].at - requests[i].at >= 1s) ++i;
        most = std::max(most, j - i + 1);
    }
    CHECK(most <= 150);
}

TEST_CASE("mistral-batch run: a 429's Retry-After holds back every request, not only its own") {
    fake_server server;
    scratch dir;
    write_input(dir.path("in.jsonl"), 3);
    // The first request to arrive gets the 429; the other first line is answered soon after, and
    // its worker's next line must still wait for the Retry-After.
    server.script(faults::status(
        429, R"({"object":"error","message":"Requests rate limit exceeded","type":"rate_limited"})",
        "application/json", {{"Retry-After", "0.7"}}));
    server.script([&server](const httplib::Request& req, httplib::Response& res) {
        server.wait_or_stop(200ms);  // answered after the 429 reached the client
        server.answer(req, res);
    });
    const auto [status, log] =
        runner{server, dir}.run({"run", dir.path("in.jsonl"), dir.path("out.jsonl"), "--model",
                                 "mistral-small-latest", "--in-flight", "2"});
    INFO(log);
    REQUIRE(status == 0);
    check_complete(dir.path("out.jsonl"), 3);
    const auto requests = server.requests();
    REQUIRE(requests.size() == 4);
    // The two sent before the 429 came back, then two after its wait.
    CHECK(requests[2].at - requests[0].at >= 700ms);
    CHECK(requests[3].at - requests[0].at >= 700ms);
}

TEST_CASE("mistral-batch run: a request that fails for good is its line's error") {
    fake_server server;
    scratch dir;
    std::ofstream(dir.path("in.jsonl"))
        << R"({"custom_id":"refused","body":{"model":"m","messages":[{"role":"user","content":"hi"}]}})"
        << "\n"
        << R"({"custom_id":"unsendable","body":{"model":"m","messages":[{"role":"user","content":"x"},)"
        << R"({"role":"tool","content":"y","tool_call_id":"bad"}]}})"
        << "\n"
        << R"({"custom_id":"fine","body":{"model":"m","messages":[{"role":"user","content":"hi"}]}})"
        << "\n";
    server.script(faults::status(
        400,
        R"({"object":"error","message":"Invalid model: m","type":"invalid_model","code":"1500"})"));
    const auto [status, log] = runner{server, dir}.run(
        {"run", dir.path("in.jsonl"), dir.path("out.jsonl"), "--in-flight", "1"});
    INFO(log);
    REQUIRE(status == 0);
    CHECK(log.find("2 failed in this run") != std::string::npos);
    const auto got = output_lines(dir.path("out.jsonl"));
    REQUIRE(got.size() == 3);
    CHECK(got[0].at("custom_id") == "refused");
    CHECK(got[0].at("response").at("status_code") == 400);
    CHECK(got[0].at("response").at("body").at("code") == "1500");
    CHECK(got[0].at("error").at("code") == "1500");
    CHECK(got[0].at("error").at("type") == "invalid_model");
    // The history check refuses a tool-call id the API would refuse, before sending it.
    CHECK(got[1].at("response").is_null());
    CHECK(got[1].at("error").at("type") == "usage_error");
    CHECK(got[2].at("error").is_null());
    CHECK(server.requests().size() == 2);  // a 400 is not retried; the refused one never left
}

TEST_CASE("mistral-batch run: input errors name the line, and nothing is sent") {
    fake_server server;
    scratch dir;
    const runner r{server, dir};
    const auto fails = [&](const std::string& input, const std::string& says,
                           std::vector<std::string> more = {}) {
        std::ofstream(dir.path("in.jsonl"), std::ios::trunc) << input;
        std::vector<std::string> args{"run", dir.path("in.jsonl"), dir.path("out.jsonl")};
        args.insert(args.end(), more.begin(), more.end());
        const auto [status, log] = r.run(args);
        INFO(log);
        CHECK(status == 2);
        CHECK(log.find(says) != std::string::npos);
    };
    const std::string good =
        R"({"custom_id":"a","body":{"model":"m","messages":[{"role":"user","content":"hi"}]}})";
    fails(good + "\n\n{\"custom_id\": \"b\", \"body\": \n", "in.jsonl:3: malformed JSON");
    fails(good + "\n" + R"({"custom_id":"b","body":{"messages":[]}})" + "\n",
          "in.jsonl:2: the body has no model, and --model is not given");
    fails(
        good + "\n" +
            R"({"custom_id":"b","body":{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}})" +
            "\n",
        "in.jsonl:2: not a batch request: ");
    fails(good + "\n" + good + "\n", "in.jsonl:2: custom_id \"a\" is already on line 1");
    fails(R"({"custom_id":"a","body":{"model":"m","stream":true,"messages":[]}})"
          "\n",
          "in.jsonl:1: \"stream\": true");
    fails("", "holds no request");
    fails(good + "\n", "unknown option --fast", {"--fast"});
    // submit gives a line without a custom_id "line-N": no other line may hold one of that form.
    const std::string no_id =
        R"({"body":{"model":"m","messages":[{"role":"user","content":"hi"}]}})";
    const std::string made = R"({"custom_id":"line-1","body":{"model":"m","messages":[]}})";
    std::ofstream(dir.path("in.jsonl"), std::ios::trunc) << no_id << "\n" << made << "\n";
    const auto [clash, clash_log] = r.run({"submit", dir.path("in.jsonl"), dir.path("out.jsonl")});
    CHECK(clash == 2);
    CHECK(clash_log.find("in.jsonl:2: a custom_id of the form line-N, while line 1 has none") !=
          std::string::npos);
    fails(good + "\n", "--rps 0: expected a number from", {"--rps", "0"});
    CHECK(server.requests().empty());
}

TEST_CASE(
    "mistral-batch run: an output that cannot be written is a clear error, and keeps its lines") {
    fake_server server;
    scratch dir;
    write_input(dir.path("in.jsonl"), 20);
    const runner r{server, dir};
    const std::vector<std::string> model{"--model", "mistral-small-latest"};

    auto full =
        r.run({"run", dir.path("in.jsonl"), "/dev/full", "--model", "mistral-small-latest"});
    CHECK(full.first == 1);
    CHECK(full.second.find("cannot write /dev/full: No space left on device") != std::string::npos);
    CHECK(full.second.find("run the same command again to resume") != std::string::npos);

    fs::create_directories(dir.path("a-directory"));
    auto directory = r.run(
        {"run", dir.path("in.jsonl"), dir.path("a-directory"), "--model", "mistral-small-latest"});
    CHECK(directory.first == 2);
    CHECK(directory.second.find("cannot open " + dir.path("a-directory")) != std::string::npos);

    // Two runs never write one output at once.
    fake_server slow({.latency = 200ms});
    const runner on_slow{slow, dir};
    auto first = on_slow.start({"run", dir.path("in.jsonl"), dir.path("busy.jsonl"), "--model",
                                "mistral-small-latest", "--in-flight", "1"});
    const auto wait_until = std::chrono::steady_clock::now() + 30s;
    while (slow.requests().empty() && std::chrono::steady_clock::now() < wait_until)
        std::this_thread::sleep_for(10ms);
    subprocess second(
        {MISTRAL_BATCH_PROGRAM, "run", dir.path("in.jsonl"), dir.path("busy.jsonl"), "--model",
         "mistral-small-latest"},
        dir.path("second.txt"),
        {std::string("MISTRAL_API_KEY=") + loopback_key, "MISTRAL_BASE_URL=" + slow.base_url()});
    CHECK(second.wait() == 2);
    CHECK(second.log().find("another mistral-batch is writing") != std::string::npos);
    first->stop();

    // Another input's output is not continued.
    std::ofstream(dir.path("other.jsonl"))
        << R"({"id":"x","custom_id":"zz","response":null,"error":{"message":"m"}})"
        << "\n";
    const std::string kept = read_file(dir.path("other.jsonl"));
    auto other = r.run(
        {"run", dir.path("in.jsonl"), dir.path("other.jsonl"), "--model", "mistral-small-latest"});
    CHECK(other.first == 2);
    CHECK(other.second.find("is it this input's output?") != std::string::npos);
    CHECK(read_file(dir.path("other.jsonl")) == kept);
}

TEST_CASE(
    "mistral-batch run: the disk fills up mid-run; nothing written is lost, a rerun completes") {
    fake_server server;
    scratch dir;
    write_input(dir.path("in.jsonl"), 300);
    const runner r{server, dir};
    // A file size limit stands in for a full disk: the write that crosses it is cut short, and
    // the next one fails (SIGXFSZ ignored, so write() returns EFBIG).
    const std::string program = MISTRAL_BATCH_PROGRAM;
    subprocess full(
        {"/bin/sh", "-c", "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\"", program, "run",
         dir.path("in.jsonl"), dir.path("out.jsonl"), "--model", "mistral-small-latest",
         "--in-flight", "4"},
        dir.path("full.txt"),
        {std::string("MISTRAL_API_KEY=") + loopback_key, "MISTRAL_BASE_URL=" + server.base_url()});
    CHECK(full.wait() == 1);
    const std::string log = full.log();
    INFO(log);
    CHECK(log.find("cannot write " + dir.path("out.jsonl") + ": File too large") !=
          std::string::npos);
    const std::string kept = read_file(dir.path("out.jsonl"));
    const std::string complete = kept.substr(0, kept.rfind('\n') + 1);
    const auto written = std::count(kept.begin(), kept.end(), '\n');
    REQUIRE(written > 0);
    REQUIRE(written < 300);

    const auto [status, rerun] = r.run({"run", dir.path("in.jsonl"), dir.path("out.jsonl"),
                                        "--model", "mistral-small-latest", "--in-flight", "4"});
    INFO(rerun);
    REQUIRE(status == 0);
    check_complete(dir.path("out.jsonl"), 300);
    CHECK(read_file(dir.path("out.jsonl")).starts_with(complete));
}

TEST_CASE("mistral-batch --help names every option") {
    fake_server server;
    scratch dir;
    const auto [status, log] = runner{server, dir}.run({"--help"});
    CHECK(status == 0);
    for (const char* option :
         {"--model", "--in-flight", "--rps", "--max-retries", "--timeout", "--poll",
          "--timeout-hours", "--max-file-size", "--base-url", "--quiet", "--verbose",
          "MISTRAL_API_KEY", "MISTRAL_BASE_URL", "kill -9", "Exit status"}) {
        CHECK(log.find(option) != std::string::npos);
    }
}

TEST_CASE("mistral-batch submit: a Batch API job, killed while it waits, then resumed") {
    fake_server server;
    scratch dir;
    write_input(dir.path("in.jsonl"), 50);
    {  // a line the API answers with an error, which goes to the job's error file
        std::ofstream in(dir.path("in.jsonl"), std::ios::app);
        in << R"({"body":{"model":"m","messages":[{"role":"user","content":"x"},)"
           << R"({"role":"tool","content":"y","tool_call_id":"bad"}]}})"
           << "\n";
    }
    const std::vector<std::string> args{"submit",  dir.path("in.jsonl"),   dir.path("out.jsonl"),
                                        "--model", "mistral-small-latest", "--poll",
                                        "0.5"};
    const runner r{server, dir};
    auto first = r.start(args);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    // Killed once the job exists (OUTPUT.job names it), while it polls.
    while (read_file(dir.path("out.jsonl.job")).find("job ") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    first->kill_now();
    REQUIRE(read_file(dir.path("out.jsonl.job")).find("job batch-") != std::string::npos);

    const auto [status, log] = r.run(args);
    INFO(log);
    REQUIRE(status == 0);
    CHECK(log.find("waiting for batch job batch-") != std::string::npos);
    const auto requests = server.requests();
    CHECK(std::count_if(requests.begin(), requests.end(), [](const received_request& q) {
              return q.method == "POST";
          }) == 2);  // one upload, one job: the second run submitted nothing
    const auto got = output_lines(dir.path("out.jsonl"));
    REQUIRE(got.size() == 51);
    for (int i = 0; i < 50; ++i) {
        INFO("line " << i + 1);
        CHECK(got[i].at("custom_id") == json::value("q" + std::to_string(i)));
        CHECK(got[i].at("error").is_null());
        CHECK(json::serialize(got[i].at("response").at("body"))
                  .find("Question number " + std::to_string(i) + "\\\"") != std::string::npos);
    }
    CHECK(got[50].at("custom_id").is_null());  // as the input has it
    CHECK(got[50].at("response").at("status_code") == 400);
    CHECK(got[50].at("response").at("body").at("code") == "3280");  // the API's own error body
    CHECK(log.find("1 failed in this run") != std::string::npos);
    CHECK_FALSE(fs::exists(dir.path("out.jsonl.job")));
    CHECK_FALSE(fs::exists(dir.path("out.jsonl.results")));

    // An input larger than --max-file-size goes as several files of one job.
    const std::size_t before = server.requests().size();
    const auto [parts_status, parts_log] =
        r.run({"submit", dir.path("in.jsonl"), dir.path("parts.jsonl"), "--model",
               "mistral-small-latest", "--poll", "0.05", "--max-file-size", "0.004"});
    INFO(parts_log);
    REQUIRE(parts_status == 0);
    const auto sent = server.requests();
    const auto uploads = std::count_if(
        sent.begin() + static_cast<std::ptrdiff_t>(before), sent.end(),
        [](const received_request& q) { return q.method == "POST" && q.path == "/v1/files"; });
    CHECK(uploads >= 2);
    CHECK(parts_log.find(std::to_string(uploads) + " input files") != std::string::npos);
    const auto parts = output_lines(dir.path("parts.jsonl"));
    REQUIRE(parts.size() == 51);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        INFO("line " << i + 1);
        CHECK(parts[i].at("custom_id") == got[i].at("custom_id"));
        CHECK(parts[i].at("response").at("status_code") == got[i].at("response").at("status_code"));
    }
}
