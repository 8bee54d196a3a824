// cli/mistral_batch.cpp: mistral-batch, many prompts from a JSONL file, answered in input order.
//
// `run` sends the requests itself: worker threads (--in-flight) share one client, whose
// transport passes every HTTP request (retries included) through one limiter (--rps: at most R
// requests in any one-second window; a 429 or 503 with Retry-After pauses them all). Answers
// are written to OUTPUT in input order, appended, so that a run killed at any moment resumes
// where its output ends. `submit` goes through the Batch API instead (batch_submit(),
// batch_wait(), batch_results()), and resumes the job it created.
// SPDX-License-Identifier: MIT
#include <mistral/mistral.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* usage_text =
    R"(mistral-batch: many prompts from a JSONL file, answered in input order.

Usage:
  mistral-batch run INPUT OUTPUT [options]      send the requests from here, within the limits
  mistral-batch submit INPUT OUTPUT [options]   run them as a Batch API job (half the price)
  mistral-batch --help

INPUT holds one request per line, in the Batch API's own format:
  {"custom_id": "q1", "body": {"model": "mistral-small-latest", "messages": [...]}}
OUTPUT gets one line per input line, in input order, in the Batch API's output format:
  {"id": ..., "custom_id": "q1", "response": {"status_code": 200, "body": {...}}, "error": null}
A request that failed for good has its status and error body in "response" (or null when no
answer came) and {"message": ...} in "error".

Resuming: OUTPUT is only ever appended to. Run the same command again after it stopped (Ctrl-C,
kill -9, a crash, a full disk) and it continues after the last complete line: nothing written is
sent again, a partial last line is cut off and redone. With `submit`, OUTPUT.job remembers the
job, so that a second run waits for it instead of submitting another.

Options:
  --model M          the model of every request whose body has none
  --in-flight N      run: at most N requests at once (default 64)
  --rps R            run: at most R HTTP requests in any one-second window, retries included
                     (default: no limit)
  --max-retries N    run: retries of a request after a 429, a 5xx or a broken connection
                     (default 8); a Retry-After is honoured, and a 429's (or a 503's with
                     one) pauses every request
  --timeout S        run: the longest a request may take, its retries and its waits for its
                     turn (--rps, Retry-After) included (default 600)
  --poll S           submit: seconds between two polls of the job (default 10)
  --timeout-hours H  submit: the job's timeout_hours (1 to 168; the API's default is 24)
  --max-file-size M  submit: the largest file uploaded, in MB (default 500; the API takes 512):
                     a larger input goes as several files of one job
  --base-url URL     the server (default: MISTRAL_BASE_URL, else https://api.mistral.ai)
  --quiet            no progress on stderr
  --verbose          every HTTP request, retry and failure on stderr (the key redacted)
  --help             this text

Environment:
  MISTRAL_API_KEY    the API key (required by the API)
  MISTRAL_BASE_URL   the server, as --base-url

Progress goes to stderr: a bar with the rate, the time left and the failures on a terminal, a
line every 5 seconds otherwise. Exit status: 0 when every line is in OUTPUT (some may hold
errors), 1 when the run stopped on an error (OUTPUT keeps what was written), 2 for a usage or
input error (nothing was sent), 128 + the signal when interrupted (130 for Ctrl-C). Two runs
cannot write one OUTPUT at once.
)";

// An error that ends the program with this exit status, after its message.
struct fatal {
    int status;
    std::string message;
};

struct settings {
    std::string mode;
    std::string input;
    std::string output;
    std::optional<std::string> model;
    std::size_t in_flight = 64;
    double rps = 0;
    int max_retries = 8;
    std::chrono::seconds timeout{600};
    std::chrono::milliseconds poll{10'000};
    std::optional<std::int64_t> timeout_hours;
    std::size_t max_file_size = std::size_t{500} << 20;
    std::string base_url;
    bool quiet = false;
    bool verbose = false;
};

settings parse_arguments(int argc, char** argv) {
    settings s;
    if (const char* url = std::getenv("MISTRAL_BASE_URL"); url != nullptr && *url != '\0')
        s.base_url = url;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw fatal{2, arg + " needs a value (see --help)"};
            return argv[++i];
        };
        const auto number = [&](double min, double max) {
            const std::string text = value();
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !(v >= min && v <= max)) {
                std::ostringstream range;
                range << arg << " " << text << ": expected a number from " << min << " to " << max;
                throw fatal{2, range.str()};
            }
            return v;
        };
        if (arg == "--help" || arg == "-h") {
            std::cout << usage_text;
            std::exit(0);
        } else if (arg == "--model") {
            s.model = value();
        } else if (arg == "--in-flight") {
            s.in_flight = static_cast<std::size_t>(number(1, 4096));
        } else if (arg == "--rps") {
            s.rps = number(0.01, 1e6);
        } else if (arg == "--max-retries") {
            s.max_retries = static_cast<int>(number(0, 100));
        } else if (arg == "--timeout") {
            s.timeout = std::chrono::seconds(static_cast<long>(number(1, 86400)));
        } else if (arg == "--poll") {
            s.poll = std::chrono::milliseconds(static_cast<long>(number(0.05, 3600) * 1000));
        } else if (arg == "--timeout-hours") {
            s.timeout_hours = static_cast<std::int64_t>(number(1, 168));
        } else if (arg == "--max-file-size") {
            s.max_file_size = static_cast<std::size_t>(number(0.001, 512) * (1 << 20));
        } else if (arg == "--base-url") {
            s.base_url = value();
        } else if (arg == "--quiet") {
            s.quiet = true;
        } else if (arg == "--verbose") {
            s.verbose = true;
        } else if (arg.starts_with("-")) {
            throw fatal{2, "unknown option " + arg + " (see --help)"};
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.size() != 3 || (positional[0] != "run" && positional[0] != "submit")) {
        throw fatal{2, "usage: mistral-batch run|submit INPUT OUTPUT [options] (see --help)"};
    }
    s.mode = positional[0];
    s.input = positional[1];
    s.output = positional[2];
    return s;
}

// ---------------------------------------------------------------------------------------------
// The input: every line checked before anything is sent.

// One input line, decoded: its request and its custom_id as written (JSON null when it has none).
struct input_line {
    mistral::batch_request request;
    json::value custom_id;
};

input_line decode_line(std::string_view text, std::size_t number, const settings& s) {
    const auto where = [&] { return s.input + ":" + std::to_string(number) + ": "; };
    boost::system::error_code ec;
    json::value tree = json::parse(text, ec);
    if (ec) throw fatal{2, where() + "malformed JSON (" + ec.message() + ")"};
    input_line out;
    if (auto* obj = tree.if_object()) {
        if (const auto* id = obj->if_contains("custom_id")) out.custom_id = *id;
        // A body without a model takes --model's.
        auto* body = obj->if_contains("body");
        if (body != nullptr && body->is_object() && !body->as_object().contains("model")) {
            if (!s.model)
                throw fatal{2, where() + "the body has no model, and --model is not given"};
            body->as_object()["model"] = *s.model;
        }
    }
    try {
        mistral::read_json(std::move(tree), out.request);
    } catch (const mistral::error& e) {
        throw fatal{2, where() + "not a batch request: " + e.what()};
    }
    if (out.request.body.model.empty()) {
        throw fatal{2, where() + "the body has no model, and --model is not given"};
    }
    if (out.request.body.stream.value_or(false))
        throw fatal{2, where() + "\"stream\": true (each request is answered whole)"};
    return out;
}

// Reads INPUT's lines in order; blank lines are skipped but counted, so that numbers match an
// editor's.
class input_reader {
public:
    explicit input_reader(const std::string& path) : in_(path, std::ios::binary), path_(path) {
        if (!in_) throw fatal{2, "cannot open " + path + ": " + std::strerror(errno)};
    }
    // The next non-blank line, or nullopt at the end.
    std::optional<std::string> next() {
        std::string line;
        while (std::getline(in_, line)) {
            ++number_;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") != std::string::npos) return line;
        }
        if (in_.bad()) throw fatal{1, "cannot read " + path_ + ": " + std::strerror(errno)};
        return std::nullopt;
    }
    std::size_t number() const noexcept { return number_; }

private:
    std::ifstream in_;
    std::string path_;
    std::size_t number_ = 0;
};

// Checks every line (nothing is sent when one is wrong) and counts them. For submit, a line
// without a custom_id gets "line-N": no line may have one of that form then.
std::size_t check_input(const settings& s) {
    input_reader in(s.input);
    std::size_t count = 0;
    std::map<std::string, std::size_t> ids;
    std::size_t without_id = 0;    // a line without a custom_id
    std::size_t made_looking = 0;  // a line whose custom_id looks like one made for such a line
    while (auto line = in.next()) {
        const input_line decoded = decode_line(*line, in.number(), s);
        if (!decoded.custom_id.is_string()) {
            without_id = without_id != 0 ? without_id : in.number();
        } else if (const std::string_view id = decoded.custom_id.get_string();
                   id.starts_with("line-") && id.size() > 5 &&
                   id.find_first_not_of("0123456789", 5) == std::string_view::npos) {
            made_looking = made_looking != 0 ? made_looking : in.number();
        }
        if (s.mode == "submit" && without_id != 0 && made_looking != 0) {
            throw fatal{2, s.input + ":" + std::to_string(made_looking) +
                               ": a custom_id of the form line-N, while line " +
                               std::to_string(without_id) + " has none (it would be given line-" +
                               std::to_string(without_id) +
                               "): give every line a custom_id, or none of that form"};
        }
        if (const auto* id = decoded.custom_id.if_string()) {
            const auto [at, fresh] = ids.emplace(std::string(*id), in.number());
            if (!fresh) {
                throw fatal{2, s.input + ":" + std::to_string(in.number()) + ": custom_id \"" +
                                   std::string(*id) + "\" is already on line " +
                                   std::to_string(at->second)};
            }
        }
        ++count;
    }
    if (count == 0) throw fatal{2, s.input + " holds no request"};
    return count;
}

// ---------------------------------------------------------------------------------------------
// The output: append-only, one line per input line.

class output_file {
public:
    // Opens OUTPUT for appending, after what an earlier run wrote: its complete lines are kept
    // (done() of them), a partial last one is cut off.
    explicit output_file(const std::string& path) : path_(path) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd_ < 0) throw fatal{2, "cannot open " + path + ": " + std::strerror(errno)};
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd_);
            throw fatal{2, "another mistral-batch is writing " + path};
        }
        struct stat st {};
        if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return;  // a pipe, /dev/full...
        std::string buffer(1 << 16, '\0');
        off_t offset = 0;
        off_t complete = 0;  // the end of the last complete line
        std::string line;
        for (;;) {
            const ssize_t n = ::pread(fd_, buffer.data(), buffer.size(), offset);
            if (n < 0) throw fatal{1, "cannot read " + path + ": " + std::strerror(errno)};
            if (n == 0) break;
            for (ssize_t i = 0; i < n; ++i) {
                if (buffer[static_cast<std::size_t>(i)] == '\n') {
                    ++done_;
                    complete = offset + i + 1;
                    last_line_ = std::move(line);
                    line.clear();
                } else {
                    line += buffer[static_cast<std::size_t>(i)];
                }
            }
            offset += n;
        }
        if (complete != offset) {
            cut_ = static_cast<std::size_t>(offset - complete);
            if (::ftruncate(fd_, complete) != 0)
                throw fatal{
                    1, "cannot cut the partial last line of " + path + ": " + std::strerror(errno)};
        }
    }
    output_file(const output_file&) = delete;
    output_file& operator=(const output_file&) = delete;
    ~output_file() { ::close(fd_); }

    std::size_t done() const noexcept { return done_; }
    std::size_t cut() const noexcept { return cut_; }
    const std::string& last_line() const noexcept { return last_line_; }

    // Appends whole lines; throws fatal when the disk is full or the file unwritable (what was
    // written before stays).
    void append(std::string_view text) {
        while (!text.empty()) {
            const ssize_t n = ::write(fd_, text.data(), text.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw fatal{1, "cannot write " + path_ + ": " + std::strerror(errno)};
            text.remove_prefix(static_cast<std::size_t>(n));
        }
    }

private:
    std::string path_;
    int fd_ = -1;
    std::size_t done_ = 0;
    std::size_t cut_ = 0;
    std::string last_line_;
};

// The lines already in OUTPUT must be this input's: the last one's custom_id is the input's at
// the same place.
void check_resume(const settings& s, const output_file& out, std::size_t total) {
    if (out.done() > total) {
        throw fatal{2, s.output + " has " + std::to_string(out.done()) + " lines, more than the " +
                           std::to_string(total) + " requests of " + s.input +
                           ": is it this input's output?"};
    }
    if (out.done() == 0) return;
    input_reader in(s.input);
    for (std::size_t i = 1; i < out.done(); ++i) in.next();
    const input_line expected = decode_line(*in.next(), in.number(), s);
    boost::system::error_code ec;
    const json::value last = json::parse(out.last_line(), ec);
    const json::value* id = last.is_object() ? last.as_object().if_contains("custom_id") : nullptr;
    if (ec || id == nullptr || *id != expected.custom_id) {
        throw fatal{2, s.output + " line " + std::to_string(out.done()) + " is not the answer to " +
                           s.input + " line " + std::to_string(in.number()) +
                           ": is it this input's output?"};
    }
}

// The output line of an answer, in the Batch API's format.
std::string answer_line(const json::value& custom_id, const mistral::chat_response& r) {
    json::object line{
        {"id", r.id},
        {"custom_id", custom_id},
        {"response", json::object{{"status_code", r.http.status == 0 ? 200 : r.http.status},
                                  {"body", json::value_from(r)}}},
        {"error", nullptr}};
    return json::serialize(line) + "\n";
}

// The output line of a request that failed for good: its status and error body when an answer
// came, and what went wrong (never the key: the library's messages are redacted).
std::string failure_line(const json::value& custom_id, const mistral::error& e) {
    json::value response = nullptr;
    json::object error{{"message", e.what()}};
    if (const auto* api = dynamic_cast<const mistral::api_error*>(&e)) {
        boost::system::error_code ec;
        json::value body = json::parse(api->body(), ec);
        if (ec) body = json::string(api->body());
        response = json::object{{"status_code", api->status()}, {"body", std::move(body)}};
        if (!api->code().empty()) error["code"] = api->code();
        if (!api->type().empty()) error["type"] = api->type();
    } else if (dynamic_cast<const mistral::transport_error*>(&e) != nullptr) {
        error["type"] = "transport_error";
    } else if (dynamic_cast<const mistral::usage_error*>(&e) != nullptr) {
        error["type"] = "usage_error";  // refused before sending (the history check)
    } else if (dynamic_cast<const mistral::protocol_error*>(&e) != nullptr) {
        error["type"] = "protocol_error";
    }
    json::object line{{"id", nullptr},
                      {"custom_id", custom_id},
                      {"response", std::move(response)},
                      {"error", std::move(error)}};
    return json::serialize(line) + "\n";
}

// ---------------------------------------------------------------------------------------------
// The limiter every HTTP request passes, and the transport that applies it.

class rate_limiter {
public:
    explicit rate_limiter(double rps)
        : rps_(rps),
          window_(rps > 0 ? std::max<std::size_t>(1, static_cast<std::size_t>(rps)) : 0),
          spacing_(rps > 0 ? std::chrono::duration_cast<clock_type::duration>(
                                 std::chrono::duration<double>(1.0 / rps))
                           : clock_type::duration::zero()) {}

    // Waits until one more request may go: at most `window_` in any one-second window (measured
    // when each one leaves, with a margin for the way to the server), spaced evenly, none during
    // a pause.
    void acquire(const mistral::stop_token& stop, std::optional<clock_type::time_point> deadline) {
        for (;;) {
            if (stop.stop_requested()) throw cancelled();
            clock_type::time_point earliest;
            {
                std::lock_guard lock(mutex_);
                const auto now = clock_type::now();
                earliest = paused_until_;
                if (window_ != 0) {
                    earliest = std::max(earliest, next_);
                    if (sent_.size() == window_)
                        earliest = std::max(earliest, sent_.front() + 1s + margin);
                }
                if (now >= earliest) {
                    if (window_ != 0) {
                        sent_.push_back(now);
                        if (sent_.size() > window_) sent_.pop_front();
                        next_ = now + spacing_;
                    }
                    return;
                }
            }
            if (deadline && earliest >= *deadline) {
                throw mistral::transport_error(mistral::transport_error_kind::timeout,
                                               "--timeout passed while the request waited for "
                                               "its turn (--rps, Retry-After); it was not sent",
                                               false);
            }
            std::this_thread::sleep_for(
                std::min<clock_type::duration>(earliest - clock_type::now(), 50ms));
        }
    }

    // No request goes before `until` (a 429's or a 503's Retry-After).
    void pause_until(clock_type::time_point until) {
        std::lock_guard lock(mutex_);
        paused_until_ = std::max(paused_until_, until);
    }

    double rps() const noexcept { return rps_; }

private:
    static mistral::transport_error cancelled() {
        return mistral::transport_error(mistral::transport_error_kind::cancelled, "call cancelled",
                                        false);
    }
    // Between leaving here and arriving at the server, requests may bunch up a little.
    static constexpr auto margin = 50ms;
    double rps_;
    std::size_t window_;
    clock_type::duration spacing_;
    std::mutex mutex_;
    std::deque<clock_type::time_point> sent_;  // the last window_ slots given
    clock_type::time_point next_{};
    clock_type::time_point paused_until_{};
};

// Counts of what the transport saw, for the progress line.
struct http_counts {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> throttled{0};  // 429 and 503 answers
};

// The default transport behind the limiter: every attempt waits for its slot; a 429 or a 503
// with a Retry-After pauses every request that long (a 429 without one: 1 s).
class limited_transport {
public:
    limited_transport(mistral::httplib_transport inner, rate_limiter& limiter, http_counts& counts)
        : inner_(std::move(inner)), limiter_(&limiter), counts_(&counts) {}

    void send(const mistral::http_request& request, mistral::response_handler& handler) {
        limiter_->acquire(request.stop, request.deadline);
        ++counts_->requests;
        watcher w(handler, *limiter_, *counts_);
        inner_.send(request, w);
    }

private:
    // A longer Retry-After is the server's to enforce: pausing everyone would only time them out.
    static constexpr std::chrono::milliseconds max_pause{60'000};

    class watcher final : public mistral::response_handler {
    public:
        watcher(mistral::response_handler& next, rate_limiter& limiter, http_counts& counts)
            : next_(next), limiter_(limiter), counts_(counts) {}
        bool on_head(mistral::response_head head) override {
            if (head.status == 429 || head.status == 503) {
                ++counts_.throttled;
                const auto wait =
                    mistral::parse_retry_after(head.headers, std::chrono::system_clock::now());
                // A 429 is about every request; a 503 without a wait is this one's to back off.
                if (wait || head.status == 429) {
                    limiter_.pause_until(clock_type::now() + std::min<std::chrono::milliseconds>(
                                                                 wait.value_or(1000ms), max_pause));
                }
            }
            return next_.on_head(std::move(head));
        }
        bool on_body(std::string_view piece) override { return next_.on_body(piece); }
        bool complete() const noexcept override { return next_.complete(); }

    private:
        mistral::response_handler& next_;
        rate_limiter& limiter_;
        http_counts& counts_;
    };

    mistral::httplib_transport inner_;
    rate_limiter* limiter_;
    http_counts* counts_;
};

// ---------------------------------------------------------------------------------------------
// Progress on stderr.

std::atomic<int> interrupted{0};

extern "C" void on_signal(int signal) {
    interrupted = signal;
}

class progress {
public:
    progress(std::size_t total, std::size_t done, bool quiet)
        : total_(total), start_done_(done), quiet_(quiet), terminal_(::isatty(2) != 0) {}

    // Shown when due (every 200 ms on a terminal, 5 s otherwise) or when `force`d.
    void show(std::size_t done, std::size_t failed, const http_counts& http, bool force = false) {
        if (quiet_) return;
        const auto now = clock_type::now();
        if (!force && now - shown_ < (terminal_ ? 200ms : 5s)) return;
        shown_ = now;
        const double seconds = std::chrono::duration<double>(now - start_).count();
        const double rate = seconds > 0 ? static_cast<double>(done - start_done_) / seconds : 0;
        const double percent = 100.0 * static_cast<double>(done) / static_cast<double>(total_);
        std::string eta = "-";
        if (rate > 0) {
            const auto left = static_cast<long>(static_cast<double>(total_ - done) / rate);
            eta = std::to_string(left / 3600) + ":" + two(left / 60 % 60) + ":" + two(left % 60);
        }
        char text[256];
        std::snprintf(text, sizeof text,
                      "%zu/%zu lines (%.1f%%), %.1f lines/s, ETA %s, %zu failed, %llu HTTP "
                      "requests, %llu throttled",
                      done, total_, percent, rate, eta.c_str(), failed,
                      static_cast<unsigned long long>(http.requests.load()),
                      static_cast<unsigned long long>(http.throttled.load()));
        if (terminal_) {
            constexpr int width = 24;
            const int filled = static_cast<int>(percent / 100.0 * width);
            std::fprintf(stderr, "\r\033[K[%s%s] %s", std::string(filled, '#').c_str(),
                         std::string(width - filled, '.').c_str(), text);
        } else {
            std::fprintf(stderr, "mistral-batch: %s\n", text);
        }
        std::fflush(stderr);
    }
    void end_line() const {
        if (!quiet_ && terminal_) std::fputc('\n', stderr);
    }

private:
    static std::string two(long v) { return (v < 10 ? "0" : "") + std::to_string(v); }
    std::size_t total_;
    std::size_t start_done_;
    bool quiet_;
    bool terminal_;
    clock_type::time_point start_ = clock_type::now();
    clock_type::time_point shown_{};
};

mistral::client_options client_options_of(const settings& s) {
    mistral::client_options o;
    if (!s.base_url.empty()) o.base_url = s.base_url;
    if (s.verbose) {
        o.debug = [](std::string_view line) {
            std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
        };
    }
    return o;
}

// ---------------------------------------------------------------------------------------------
// run: the requests sent from here, in order.

int run(const settings& s) {
    const std::size_t total = check_input(s);
    output_file out(s.output);
    check_resume(s, out, total);
    if (out.cut() != 0) {
        std::fprintf(stderr,
                     "mistral-batch: %s ended with a partial line (%zu bytes): cut off, redone\n",
                     s.output.c_str(), out.cut());
    }
    if (out.done() == total) {
        std::fprintf(stderr, "mistral-batch: all %zu lines are in %s already\n", total,
                     s.output.c_str());
        return 0;
    }

    mistral::client_options options = client_options_of(s);
    options.transport.max_idle_connections = s.in_flight;
    options.retry.max_retries = s.max_retries;
    options.retry.max_elapsed = s.timeout;
    options.retry.max_retry_after = s.timeout;
    options.timeouts.total = s.timeout;
    rate_limiter limiter(s.rps);
    http_counts counts;
    mistral::basic_client<limited_transport> client(
        options, limited_transport(mistral::httplib_transport(options.transport), limiter, counts));

    // The lines between the last one written and the last one read: read ahead by at most
    // `window`, so that a slow line holds at most that many answers in memory.
    const std::size_t window = std::max<std::size_t>(4 * s.in_flight, 1024);
    struct slot {
        input_line line;
        std::optional<std::string> answer;  // the output line, once there is one
    };
    std::mutex mutex;
    std::condition_variable work;         // a line to send, or the end
    std::condition_variable answered;     // an answer, for the writer
    std::map<std::size_t, slot> pending;  // by index: the lines read and not yet written
    std::deque<std::size_t> todo;         // of pending: the lines no worker took yet
    std::size_t read = out.done();        // lines read (and skipped) so far
    std::size_t written = out.done();
    std::size_t failed = 0;
    bool input_ended = false;
    std::optional<fatal> stopped;  // why the run stops early
    mistral::stop_source stop;

    input_reader in(s.input);
    for (std::size_t i = 0; i < out.done(); ++i) in.next();

    const auto worker = [&] {
        std::unique_lock lock(mutex);
        for (;;) {
            work.wait(lock, [&] { return stopped || input_ended || !todo.empty(); });
            if (stopped || todo.empty()) return;
            const std::size_t index = todo.front();
            todo.pop_front();
            const input_line& line = pending.at(index).line;  // stable: a std::map node
            lock.unlock();
            std::string answer;
            bool failure = false;
            try {
                answer = answer_line(line.custom_id,
                                     client.chat(line.request.body, {.stop = stop.get_token()}));
            } catch (const mistral::error& e) {
                const auto* t = dynamic_cast<const mistral::transport_error*>(&e);
                if (t != nullptr && t->kind() == mistral::transport_error_kind::cancelled &&
                    stop.stop_requested()) {
                    lock.lock();
                    return;  // stopped: the line is redone by the next run
                }
                answer = failure_line(line.custom_id, e);
                failure = true;
            } catch (const std::exception& e) {
                lock.lock();
                stopped = fatal{1, "line " + std::to_string(index + 1) + ": " + e.what()};
                answered.notify_one();
                return;
            }
            lock.lock();
            pending.at(index).answer = std::move(answer);
            failed += failure ? 1 : 0;
            if (index == written) answered.notify_one();
        }
    };

    if (interrupted != 0) throw fatal{128 + interrupted, "interrupted before anything was sent"};
    progress bar(total, out.done(), s.quiet);
    std::vector<std::thread> workers;
    try {
        for (std::size_t i = 0; i < s.in_flight; ++i) workers.emplace_back(worker);
    } catch (const std::system_error& e) {
        {
            std::lock_guard guard(mutex);
            stopped = fatal{1, "cannot start " + std::to_string(s.in_flight) + " threads (" +
                                   e.what() + "): lower --in-flight"};
        }
        work.notify_all();
        for (auto& t : workers) t.join();
        throw *stopped;
    }

    std::unique_lock lock(mutex);
    while (written < total && !stopped) {
        try {
            // Read ahead while the window has room.
            while (!input_ended && read < written + window) {
                lock.unlock();
                std::optional<std::string> text = in.next();
                std::optional<input_line> line;
                if (text) line = decode_line(*text, in.number(), s);
                lock.lock();
                if (!line) {
                    input_ended = true;
                    work.notify_all();
                    break;
                }
                pending.emplace(read, slot{std::move(*line), std::nullopt});
                todo.push_back(read++);
                work.notify_one();
            }
            // Write the answers that are next, in one write.
            std::string ready;
            std::size_t count = 0;
            for (auto it = pending.find(written); it != pending.end() && it->second.answer;
                 it = pending.find(written + count)) {
                ready += *it->second.answer;
                ++count;
            }
            if (count != 0) {
                lock.unlock();
                out.append(ready);
                lock.lock();
                for (std::size_t i = 0; i < count; ++i) pending.erase(written++);
            }
            bar.show(written, failed, counts);
            if (interrupted != 0) stopped = fatal{128 + interrupted, "interrupted"};
            if (count == 0 && !stopped) answered.wait_for(lock, 100ms);
        } catch (const fatal& f) {
            if (!lock.owns_lock()) lock.lock();
            stopped = f;
        }
    }
    input_ended = true;
    work.notify_all();
    lock.unlock();
    if (stopped) stop.request_stop();
    for (auto& t : workers) t.join();
    bar.show(written, failed, counts, true);
    bar.end_line();
    if (stopped) {
        throw fatal{stopped->status, stopped->message + ": " + std::to_string(written) + " of " +
                                         std::to_string(total) + " lines are in " + s.output +
                                         "; run the same command again to resume"};
    }
    std::fprintf(stderr, "mistral-batch: %zu lines in %s; %zu failed in this run\n", total,
                 s.output.c_str(), failed);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// submit: the requests run by the Batch API, as one job.

// The custom_id of a line in the job: its own, or one made from its line number.
std::string job_custom_id(const input_line& line, std::size_t number) {
    if (const auto* id = line.custom_id.if_string()) return std::string(*id);
    return "line-" + std::to_string(number);
}

// OUTPUT.job: a line "file <id>" for each part of the input uploaded, then "job <id>" once the
// job exists, so that the next run neither uploads a part nor submits the job again.
struct job_state {
    std::vector<std::string> files;
    std::string job;
};

job_state read_job_file(const std::string& path) {
    std::ifstream in(path);
    job_state out;
    for (std::string kind, id; in >> kind >> id;) {
        if (kind == "file") out.files.push_back(id);
        if (kind == "job") out.job = id;
    }
    return out;
}

void write_job_file(const std::string& path, const job_state& state) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        for (const std::string& file : state.files) out << "file " << file << "\n";
        if (!state.job.empty()) out << "job " << state.job << "\n";
        if (!out.flush()) throw fatal{1, "cannot write " + temporary + ": " + std::strerror(errno)};
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0)
        throw fatal{1, "cannot write " + path + ": " + std::strerror(errno)};
}

// Uploads the input, every line with a custom_id and a model, in parts of at most
// --max-file-size (the API takes 512 MB a file); parts already in `state` are not sent again.
void upload_input(const settings& s, mistral::client& client, job_state& state,
                  const std::string& job_file) {
    std::string name = std::filesystem::path(s.input).filename().string();
    for (char& c : name)  // a form value: no quote, backslash or control character
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
    std::size_t part = 0;
    std::string content;
    const auto send_part = [&] {
        if (part++ < state.files.size()) {  // uploaded by an earlier run
            content.clear();
            return;
        }
        if (interrupted != 0) throw fatal{128 + interrupted, "interrupted while uploading"};
        const std::string suffix = part == 1 ? "" : "." + std::to_string(part);
        state.files.push_back(
            client.upload_file({.filename = name + suffix, .content = std::exchange(content, {})})
                .id);
        write_job_file(job_file, state);
    };
    input_reader in(s.input);
    while (auto text = in.next()) {
        input_line line = decode_line(*text, in.number(), s);
        line.request.custom_id = job_custom_id(line, in.number());
        const std::string request = mistral::batch_request_line(line.request) + "\n";
        if (request.size() > s.max_file_size) {
            throw fatal{2, s.input + ":" + std::to_string(in.number()) +
                               ": the request is larger than --max-file-size"};
        }
        if (content.size() + request.size() > s.max_file_size) send_part();
        content += request;
    }
    if (!content.empty()) send_part();
}

// The job of the uploaded input: the one made from it, when a run was stopped between the
// upload and the job, else a new one.
mistral::batch_job job_of_files(const settings& s, mistral::client& client,
                                const std::vector<std::string>& files) {
    for (const mistral::batch_job& job : client.batch_jobs({.created_by_me = true}).data) {
        if (job.input_files == files) return job;
    }
    return client.create_batch_job(
        {.input_files = files, .model = s.model, .timeout_hours = s.timeout_hours});
}

int submit(const settings& s) {
    const std::size_t total = check_input(s);
    output_file out(s.output);
    check_resume(s, out, total);
    if (out.done() == total) {
        std::fprintf(stderr, "mistral-batch: all %zu lines are in %s already\n", total,
                     s.output.c_str());
        return 0;
    }
    mistral::client client(client_options_of(s));
    const std::string job_file = s.output + ".job";
    mistral::batch_job job;
    job_state state = read_job_file(job_file);
    if (!state.job.empty()) {
        job = client.batch_job(state.job);
        std::fprintf(stderr, "mistral-batch: waiting for batch job %s (from %s)\n",
                     state.job.c_str(), job_file.c_str());
    } else {
        if (interrupted != 0)
            throw fatal{128 + interrupted, "interrupted before anything was sent"};
        upload_input(s, client, state, job_file);
        if (interrupted != 0) {
            throw fatal{128 + interrupted,
                        "interrupted: the input is uploaded; run the same command again to "
                        "submit it"};
        }
        job = job_of_files(s, client, state.files);
        state.job = job.id;
        write_job_file(job_file, state);
        std::fprintf(stderr, "mistral-batch: submitted batch job %s, %zu input files (%s)\n",
                     job.id.c_str(), state.files.size(), job_file.c_str());
    }

    // Polls until the job ends; an interruption leaves it running, for the next run to wait for.
    progress bar(total, 0, s.quiet);
    http_counts polls;
    while (!mistral::is_final_batch_status(job.status)) {
        bar.show(static_cast<std::size_t>(job.completed_requests),
                 static_cast<std::size_t>(job.failed_requests), polls);
        const auto until = clock_type::now() + s.poll;
        while (clock_type::now() < until && interrupted == 0) std::this_thread::sleep_for(50ms);
        if (interrupted != 0) {
            bar.end_line();
            throw fatal{128 + interrupted, "interrupted: batch job " + job.id +
                                               " goes on; run the same command "
                                               "again to wait for it and write " +
                                               s.output};
        }
        job = client.batch_job(job.id);
        ++polls.requests;
    }
    bar.show(static_cast<std::size_t>(job.completed_requests),
             static_cast<std::size_t>(job.failed_requests), polls, true);
    bar.end_line();

    // The results as they download (the output file, then the error file) go to OUTPUT.results
    // as they are, with an index of where each custom_id's line is: memory holds the index, not
    // the answers. Then they are written in input order.
    struct place {
        std::uint64_t offset;
        std::uint32_t size;
        bool failed;
    };
    std::unordered_map<std::string, place> where;
    const std::string spill_path = s.output + ".results";
    {
        std::ofstream spill(spill_path, std::ios::binary | std::ios::trunc);
        std::uint64_t offset = 0;
        std::string partial;
        const auto keep = [&](std::string_view text, const std::string& file) {
            if (text.find_first_not_of(" \t\r") == std::string_view::npos) return;
            boost::system::error_code ec;
            const json::value line = json::parse(text, ec);
            const json::object* obj = line.if_object();
            const json::value* id = obj != nullptr ? obj->if_contains("custom_id") : nullptr;
            if (ec || id == nullptr || !id->is_string())
                throw fatal{1, "file " + file + " holds a line that is not a batch result"};
            const json::value* error = obj->if_contains("error");
            const json::value* response = obj->if_contains("response");
            const json::value* status = response != nullptr && response->is_object()
                                            ? response->as_object().if_contains("status_code")
                                            : nullptr;
            const bool failed = (error != nullptr && !error->is_null()) || status == nullptr ||
                                !status->is_int64() || status->as_int64() / 100 != 2;
            spill.write(text.data(), static_cast<std::streamsize>(text.size()));
            where[std::string(id->as_string())] = {offset, static_cast<std::uint32_t>(text.size()),
                                                   failed};
            offset += text.size();
        };
        for (const auto* file : {&job.output_file, &job.error_file}) {
            if (!*file) continue;
            client.file_content(**file, [&](std::string_view bytes) {
                for (auto end = bytes.find('\n'); end != std::string_view::npos;
                     end = bytes.find('\n')) {
                    partial.append(bytes.substr(0, end));
                    keep(partial, **file);
                    partial.clear();
                    bytes.remove_prefix(end + 1);
                }
                partial.append(bytes);
            });
            keep(std::exchange(partial, {}), **file);
        }
        if (!spill.flush())
            throw fatal{1, "cannot write " + spill_path + ": " + std::strerror(errno)};
    }
    std::ifstream spill(spill_path, std::ios::binary);
    input_reader in(s.input);
    for (std::size_t i = 0; i < out.done(); ++i) in.next();
    std::string ready;
    std::string text;
    std::size_t failed = 0;
    while (auto input = in.next()) {
        const input_line line = decode_line(*input, in.number(), s);
        const auto found = where.find(job_custom_id(line, in.number()));
        if (found == where.end()) {
            ready += failure_line(line.custom_id,
                                  mistral::error("batch job " + job.id + " ended " + job.status +
                                                 " without answering this request"));
            ++failed;
        } else {
            text.resize(found->second.size);
            spill.seekg(static_cast<std::streamoff>(found->second.offset));
            if (!spill.read(text.data(), static_cast<std::streamsize>(text.size())))
                throw fatal{1, "cannot read " + spill_path};
            if (line.custom_id.is_string()) {
                ready += text;  // as the API wrote it
            } else {            // the id was made for the job: the line gets the input's (none)
                json::value result = json::parse(text);
                result.as_object()["custom_id"] = nullptr;
                ready += json::serialize(result);
            }
            ready += '\n';
            failed += found->second.failed ? 1 : 0;
        }
        if (ready.size() >= (1U << 16)) out.append(std::exchange(ready, {}));
    }
    out.append(ready);
    spill.close();
    std::remove(spill_path.c_str());
    std::remove(job_file.c_str());
    std::fprintf(stderr,
                 "mistral-batch: batch job %s %s: %zu lines in %s; %zu failed in this run\n",
                 job.id.c_str(), job.status.c_str(), total, s.output.c_str(), failed);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const settings s = parse_arguments(argc, argv);
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        return s.mode == "run" ? run(s) : submit(s);
    } catch (const fatal& f) {
        std::fprintf(stderr, "mistral-batch: %s\n", f.message.c_str());
        return f.status;
    } catch (const mistral::error& e) {
        std::fprintf(stderr, "mistral-batch: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mistral-batch: %s\n", e.what());
        return 1;
    }
}
