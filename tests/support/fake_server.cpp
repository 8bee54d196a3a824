// tests/support/fake_server.cpp: the fake Mistral API server (see fake_server.hpp).
#include "fake_server.hpp"

#include <mistral/endpoints.hpp>
#include <mistral/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <sstream>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace mistral::test {

namespace {

namespace json = boost::json;

// What the fake model decided to say.
struct reply {
    std::vector<std::string> tokens;  // text, split as it will be streamed
    std::vector<tool_call> calls;
    std::string finish_reason = "stop";
};

std::vector<std::string> tokenize(const std::string& text) {
    std::vector<std::string> tokens;
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = text.find(' ', at + 1);
        if (end == std::string::npos) end = text.size();
        tokens.push_back(text.substr(at, end - at));
        at = end;
    }
    return tokens;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// A capitalised word of the question ("weather in Paris" -> "Paris"), for arguments.
std::string proper_noun(const std::string& text, const std::string& fallback) {
    std::istringstream words(text);
    std::string word;
    bool first = true;
    std::string found;
    while (words >> word) {
        while (!word.empty() && std::ispunct(static_cast<unsigned char>(word.back())))
            word.pop_back();
        if (!first && !word.empty() && std::isupper(static_cast<unsigned char>(word.front())))
            found = word;
        first = false;
    }
    return found.empty() ? fallback : found;
}

// A JSON value that satisfies a (simple) JSON Schema, filled from the question where it can.
// A plausible value for a JSON Schema: deterministic, and `index` (the position in an array)
// makes the items of an array differ from each other.
json::value sample(const json::object& schema, const std::string& key, const std::string& question,
                   std::size_t index = 0) {
    if (const auto* values = schema.if_contains("enum");
        values && values->is_array() && !values->get_array().empty()) {
        return values->get_array()[index % values->get_array().size()];
    }
    if (const auto* any = schema.if_contains("anyOf");
        any && any->is_array() && !any->get_array().empty() && any->get_array()[0].is_object()) {
        return sample(any->get_array()[0].get_object(), key, question, index);
    }
    std::string type = "string";
    if (const auto* t = schema.if_contains("type"); t && t->is_string())
        type = std::string(t->get_string());
    if (type == "object") {
        json::object out;
        if (const auto* props = schema.if_contains("properties"); props && props->is_object()) {
            for (const auto& kv : props->get_object()) {
                if (kv.value().is_object())
                    out[kv.key()] =
                        sample(kv.value().get_object(), std::string(kv.key()), question);
            }
        }
        if (const auto* more = schema.if_contains("additionalProperties");
            more && more->is_object()) {
            out[key.empty() ? "example" : key] = sample(more->get_object(), key, question);
        }
        return out;
    }
    if (type == "array") {
        // One item, as many as minItems asks for, never more than maxItems allows.
        json::array out;
        std::int64_t count = 1;
        if (const auto* n = schema.if_contains("minItems"); n && n->is_int64())
            count = std::max(count, n->get_int64());
        if (const auto* n = schema.if_contains("maxItems"); n && n->is_int64())
            count = std::min(count, n->get_int64());
        if (const auto* items = schema.if_contains("items"); items && items->is_object()) {
            for (std::int64_t i = 0; i < count; ++i)
                out.push_back(
                    sample(items->get_object(), key, question, static_cast<std::size_t>(i)));
        }
        return out;
    }
    const auto n = static_cast<std::int64_t>(index);
    if (type == "integer") return (lower(key).find("year") != std::string::npos ? 1965 : 3) + n;
    if (type == "number") return 21.5 + static_cast<double>(n);
    if (type == "boolean") return index % 2 == 0;
    // Later items of an array: "<first> 2", "<first> 3"..., or names from a short list.
    const auto nth = [&](std::string first, std::initializer_list<const char*> more = {}) {
        if (index == 0) return json::value(std::move(first));
        if (index <= more.size()) return json::value(*(more.begin() + (index - 1)));
        return json::value(first + " " + std::to_string(index + 1));
    };
    const std::string k = lower(key);
    if (k.find("city") != std::string::npos || k.find("location") != std::string::npos ||
        k.find("place") != std::string::npos) {
        return nth(proper_noun(question, "Paris"), {"Lyon", "Marseille"});
    }
    if (k.find("unit") != std::string::npos) return nth("celsius", {"fahrenheit"});
    if (k.find("author") != std::string::npos) return nth("Frank Herbert", {"Brian Herbert"});
    if (k.find("name") != std::string::npos || k.find("title") != std::string::npos) {
        return nth(proper_noun(question, "Example"));
    }
    return nth("example " + key);
}

std::string last_user_text(const chat_request& r) {
    for (auto it = r.messages.rbegin(); it != r.messages.rend(); ++it) {
        if (const auto* u = std::get_if<user_message>(&*it)) return u->text();
    }
    return {};
}

std::pair<int, int> count_images(const chat_request& r) {
    int urls = 0;
    int embedded = 0;
    for (const auto& m : r.messages) {
        const auto* u = std::get_if<user_message>(&m);
        if (u == nullptr || !u->content) continue;
        const auto* list = std::get_if<std::vector<content_chunk>>(&*u->content);
        if (list == nullptr) continue;
        for (const auto& chunk : *list) {
            const auto* image = std::get_if<image_url_chunk>(&chunk);
            if (image == nullptr) continue;
            const std::string& url = std::holds_alternative<std::string>(image->image_url)
                                         ? std::get<std::string>(image->image_url)
                                         : std::get<mistral::image_url>(image->image_url).url;
            (url.rfind("data:", 0) == 0 ? embedded : urls)++;
        }
    }
    return {urls, embedded};
}

std::string tool_call_id(int n) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string id = "fk";
    unsigned v = static_cast<unsigned>(n) * 2654435761u;
    for (int i = 0; i < 7; ++i) {
        id += alphabet[v % 62];
        v = v / 62 + 7919u * static_cast<unsigned>(i + n);
    }
    return id;
}

reply plan(const chat_request& r, int serial, bool demo_hint) {
    reply out;
    const std::string question = last_user_text(r);
    const bool after_tool =
        !r.messages.empty() && std::holds_alternative<tool_message>(r.messages.back());
    std::vector<const function_tool*> functions;
    if (r.tools) {
        for (const auto& t : *r.tools) {
            if (const auto* f = std::get_if<function_tool>(&t)) functions.push_back(f);
        }
    }
    const bool tools_allowed =
        !(r.tool_choice && std::holds_alternative<std::string>(*r.tool_choice) &&
          std::get<std::string>(*r.tool_choice) == "none");
    if (after_tool) {
        auto first = r.messages.end();
        while (first != r.messages.begin() &&
               std::holds_alternative<tool_message>(*std::prev(first)))
            --first;
        std::string results;
        for (auto it = first; it != r.messages.end(); ++it) {
            const auto& t = std::get<tool_message>(*it);
            results +=
                (results.empty() ? "" : "; ") + t.name.value_or("the tool") + " says " + t.text();
        }
        out.tokens = tokenize("Here is what I found: " + results + ".");
        return out;
    }
    if (!functions.empty() && tools_allowed) {
        // Call every function the question names (only the first without parallel calls), or
        // else the first function.
        int index = 0;
        auto call = [&](const function_tool& f) {
            out.calls.push_back(tool_call{.id = tool_call_id(serial * 16 + index),
                                          .type = "function",
                                          .function = {.name = f.function.name,
                                                       .arguments = json::serialize(sample(
                                                           f.function.parameters, "", question))},
                                          .index = index});
            ++index;
        };
        for (const auto* f : functions) {
            if (index > 0 && r.parallel_tool_calls == false) break;
            if (lower(question).find(lower(f->function.name)) != std::string::npos) call(*f);
        }
        if (index == 0) call(*functions.front());
        out.finish_reason = "tool_calls";
        return out;
    }
    if (r.response_format && r.response_format->type == "json_schema" &&
        r.response_format->json_schema) {
        out.tokens =
            tokenize(json::serialize(sample(r.response_format->json_schema->schema, "", question)));
        return out;
    }
    if (r.response_format && r.response_format->type == "json_object") {
        json::object answer{{"answer", "This is the mistral-cpp fake server."},
                            {"question", question}};
        out.tokens = tokenize(json::serialize(answer));
        return out;
    }
    std::string text;
    if (const auto [urls, embedded] = count_images(r); urls + embedded > 0) {
        text =
            "I see " + std::to_string(urls + embedded) +
            (urls + embedded == 1 ? " image" : " images") + " (" + std::to_string(urls) +
            " by URL, " + std::to_string(embedded) +
            " embedded). The fake server cannot look at them, but the request reached it intact. ";
    }
    const std::string q = lower(question);
    if (q.find("capital of france") != std::string::npos) {
        text += "The capital of France is Paris.";
    } else if (q.find("haiku") != std::string::npos) {
        text += "Tokens drift like snow,\neach chunk parsed where it landed;\nno byte left behind.";
    } else {
        text +=
            "Hello from the mistral-cpp fake server! These words arrive one by one, exactly as the "
            "real "
            "API streams them. You asked: \"" +
            question + "\"." +
            (demo_hint ? " Set MISTRAL_API_KEY to ask api.mistral.ai instead." : "");
    }
    out.tokens = tokenize(text);
    if (r.max_tokens && static_cast<std::size_t>(*r.max_tokens) < out.tokens.size()) {
        out.tokens.resize(static_cast<std::size_t>(*r.max_tokens));
        out.finish_reason = "length";
    }
    return out;
}

std::int64_t count_words(const chat_request& r) {
    std::int64_t n = 0;
    for (const auto& m : r.messages)
        n += static_cast<std::int64_t>(tokenize(text_of(m)).size()) + 3;
    return n;
}

std::string error_body_422(const std::string& problem) {
    json::object detail{{"type", "value_error"},
                        {"loc", json::array{"body"}},
                        {"msg", problem},
                        {"input", nullptr}};
    json::object body{{"object", "error"},
                      {"message", json::object{{"detail", json::array{detail}}}},
                      {"type", "invalid_request_error"},
                      {"param", nullptr},
                      {"code", nullptr}};
    return json::serialize(body);
}

}  // namespace

fake_server::fake_server(fake_server_options options)
    : options_(std::move(options)), batch_(std::make_unique<batch_store>()) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    if (!options_.cert_file.empty()) {
        server_ = std::make_unique<httplib::SSLServer>(
            options_.cert_file.c_str(), options_.key_file.c_str(),
            options_.client_ca_file.empty() ? nullptr : options_.client_ca_file.c_str());
    }
#endif
    if (!server_) server_ = std::make_unique<httplib::Server>();
    const std::size_t threads = options_.threads;
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_->set_keep_alive_max_count(100000);  // httplib closes after 5 requests by default
    server_->set_tcp_nodelay(true);
    const auto route = [this](fake_handler own) {
        return [this, own = std::move(own)](const httplib::Request& req, httplib::Response& res) {
            serve(req, res, own);
        };
    };
    server_->Post(
        "/v1/chat/completions",
        route([this](const httplib::Request& req, httplib::Response& res) { answer(req, res); }));
    server_->Post("/v1/embeddings",
                  route([this](const httplib::Request& req, httplib::Response& res) {
                      answer_embeddings(req, res);
                  }));
    server_->Post("/v1/fim/completions",
                  route([this](const httplib::Request& req, httplib::Response& res) {
                      answer_fim(req, res);
                  }));
    const fake_handler moderations = [this](const httplib::Request& req, httplib::Response& res) {
        answer_moderations(req, res);
    };
    server_->Post("/v1/moderations", route(moderations));
    server_->Post("/v1/chat/moderations", route(moderations));
    server_->Post("/v1/ocr", route([this](const httplib::Request& req, httplib::Response& res) {
                      answer_ocr(req, res);
                  }));
    const fake_handler models = [this](const httplib::Request& req, httplib::Response& res) {
        answer_models(req, res);
    };
    const fake_handler batch = [this](const httplib::Request& req, httplib::Response& res) {
        answer_batch(req, res);
    };
    for (const char* path : {"/v1/files", R"(/v1/files/([^/]+))", R"(/v1/files/([^/]+)/content)",
                             "/v1/batch/jobs", R"(/v1/batch/jobs/([^/]+))"}) {
        server_->Get(path, route(batch));
    }
    server_->Post("/v1/files", route(batch));
    server_->Delete(R"(/v1/files/([^/]+))", route(batch));
    server_->Post("/v1/batch/jobs", route(batch));
    server_->Post(R"(/v1/batch/jobs/([^/]+)/cancel)", route(batch));
    server_->Get("/v1/models", route(models));
    server_->Get(R"(/v1/models/([^/]+))", route(models));
    port_ = options_.port == 0 ? server_->bind_to_any_port(options_.host) : options_.port;
    if (options_.port != 0 && !server_->bind_to_port(options_.host, options_.port)) port_ = -1;
    if (port_ <= 0) throw std::runtime_error("fake_server: cannot listen on " + options_.host);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // httplib's stop() does nothing before the listen loop runs, so a server stopped at once
    // would never stop: wait for the loop.
    for (int i = 0; i < 5000 && !server_->is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

fake_server::~fake_server() {
    stop();
}

std::string fake_server::base_url() const {
    return std::string(options_.cert_file.empty() ? "http" : "https") + "://" + options_.host +
           ":" + std::to_string(port_);
}

void fake_server::script(fake_handler handler) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(handler));
}

std::vector<received_request> fake_server::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t fake_server::connection_count() const {
    std::lock_guard lock(mutex_);
    return remote_ports_.size();
}

void fake_server::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    stopping_cv_.notify_all();
    server_->stop();
    if (thread_.joinable()) thread_.join();
}

void fake_server::wait_or_stop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    stopping_cv_.wait_for(lock, timeout, [this] { return stopping_; });
}

void fake_server::serve(const httplib::Request& req, httplib::Response& res,
                        const fake_handler& own) {
    fake_handler handler;
    int refused = 0;
    std::size_t failure = 0;  // 1, 2, 3: which transient failure of fail_every
    {
        std::lock_guard lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (options_.rate_limit > 0) {
            while (!admitted_.empty() && now - admitted_.front() >= std::chrono::seconds(1))
                admitted_.pop_front();
            if (static_cast<double>(admitted_.size()) + 1 > options_.rate_limit) {
                refused = 429;
            } else {
                admitted_.push_back(now);
            }
        }
        requests_.push_back({req.method, req.path, req.headers, req.body, req.remote_port,
                             req.target, now, refused});
        remote_ports_.insert(req.remote_port);
        if (refused != 0) {
            const auto room =
                std::chrono::duration<double>(admitted_.front() + std::chrono::seconds(1) - now);
            res.status = 429;
            res.set_header("Retry-After", std::to_string(std::max(room.count(), 0.001)));
            res.set_content(
                R"({"object":"error","message":"Requests rate limit exceeded","type":"rate_limited","param":null,"code":"1300"})",
                "application/json");
            return;
        }
        if (!script_.empty()) {
            handler = std::move(script_.front());
            script_.pop_front();
        } else if (options_.fail_every != 0 && req.path == "/v1/chat/completions" &&
                   ++chat_requests_ % options_.fail_every == 0) {
            failure = chat_requests_ / options_.fail_every % 3 + 1;
        }
    }
    if (options_.latency.count() > 0) wait_or_stop(options_.latency);
    if (failure == 1) {
        handler = faults::status(
            429,
            R"({"object":"error","message":"Requests rate limit exceeded","type":"rate_limited","param":null,"code":"1300"})",
            "application/json", {{"Retry-After", "0.05"}});
    } else if (failure == 2) {
        handler = faults::status(
            503,
            R"({"object":"error","message":"Service unavailable","type":"service_unavailable","param":null,"code":"1000"})");
    } else if (failure == 3) {
        handler = [](const httplib::Request&, httplib::Response& r) {
            r.set_chunked_content_provider("application/json",
                                           [](std::size_t, httplib::DataSink& sink) {
                                               sink.write("{\"id\":", 6);
                                               return false;  // the connection is dropped
                                           });
        };
    }
    (handler ? handler : own)(req, res);
}

int fake_server::admit(const httplib::Request& req, httplib::Response& res) {
    const int serial = ++counter_;
    res.set_header("x-request-id", "fake-" + std::to_string(serial));
    res.set_header("x-ratelimit-limit-req-minute", "60");
    res.set_header("x-ratelimit-remaining-req-minute", std::to_string(59 - serial % 60));
    res.set_header("x-ratelimit-limit-tokens-minute", "500000");
    const std::string auth = req.get_header_value("Authorization");
    if (options_.require_auth && !options_.openai_compatible &&
        (auth.rfind("Bearer ", 0) != 0 || auth.size() <= 7)) {
        res.status = 401;
        res.set_content(
            R"({"message":"Unauthorized","request_id":"fake-)" + std::to_string(serial) + "\"}",
            "application/json");
        return 0;
    }
    return serial;
}

void fake_server::answer_embeddings(const httplib::Request& req, httplib::Response& res) {
    const int serial = admit(req, res);
    if (serial == 0) return;
    embedding_request request;
    try {
        json::value body = json::parse(req.body);
        // The API takes one text as a string, too.
        if (auto* o = body.if_object();
            o != nullptr && o->contains("input") && o->at("input").is_string()) {
            (*o)["input"] = json::array{o->at("input")};
        }
        request = json::value_to<embedding_request>(body);
        if (request.input.empty()) throw std::invalid_argument("input: empty");
        if (request.output_dimension &&
            (*request.output_dimension <= 0 || *request.output_dimension > 65536)) {
            throw std::invalid_argument("output_dimension: must be in [1, 65536] here");
        }
    } catch (const std::exception& e) {
        res.status = 422;
        res.set_content(error_body_422(e.what()), "application/json");
        return;
    }
    const auto dimension = static_cast<std::size_t>(request.output_dimension.value_or(1024));
    json::array data;
    std::int64_t tokens = 0;
    for (std::size_t i = 0; i < request.input.size(); ++i) {
        // Each word adds to one dimension (its hash): texts that share words point alike.
        std::vector<double> v(dimension, 0.0);
        for (const std::string& word : tokenize(lower(request.input[i]))) {
            std::string w;
            for (const char c : word)
                if (std::isalnum(static_cast<unsigned char>(c))) w += c;
            if (w.empty()) continue;
            v[std::hash<std::string>{}(w) % dimension] += 1.0;
            ++tokens;
        }
        double norm = 0;
        for (const double x : v) norm += x * x;
        norm = norm > 0 ? std::sqrt(norm) : 1.0;
        json::array embedding;
        for (const double x : v) embedding.emplace_back(x / norm);
        data.emplace_back(json::object{{"object", "embedding"},
                                       {"embedding", std::move(embedding)},
                                       {"index", static_cast<std::int64_t>(i)}});
    }
    res.set_content(
        json::serialize(json::object{{"id", "embd-fake-" + std::to_string(serial)},
                                     {"object", "list"},
                                     {"model", request.model},
                                     {"data", std::move(data)},
                                     {"usage", json::object{{"prompt_tokens", tokens},
                                                            {"completion_tokens", 0},
                                                            {"total_tokens", tokens}}}}),
        "application/json");
}

namespace {
json::array fake_models() {
    const auto card = [](const char* id, json::object capabilities, std::int64_t context,
                         json::array aliases) {
        return json::object{{"id", id},
                            {"object", "model"},
                            {"created", 1764979200},
                            {"owned_by", "mistralai"},
                            {"capabilities", std::move(capabilities)},
                            {"name", id},
                            {"max_context_length", context},
                            {"aliases", std::move(aliases)},
                            {"deprecation", nullptr},
                            {"type", "base"}};
    };
    json::array out;
    out.emplace_back(card("mistral-small-latest",
                          {{"completion_chat", true}, {"function_calling", true}, {"vision", true}},
                          131072, {"mistral-small-2506"}));
    out.emplace_back(
        card("codestral-latest",
             {{"completion_chat", true}, {"completion_fim", true}, {"function_calling", true}},
             256000, {"codestral-2508"}));
    out.emplace_back(card("mistral-embed", {}, 8192, {}));
    out.emplace_back(card("mistral-moderation-latest", {{"moderation", true}}, 8192, {}));
    out.emplace_back(card("mistral-ocr-latest", {{"ocr", true}}, 16384, {"mistral-ocr-2512"}));
    json::object old = card("open-mistral-7b", {{"completion_chat", true}}, 32768, {});
    old["deprecation"] = "2025-03-30T12:00:00Z";
    old["deprecation_replacement_model"] = "ministral-8b-latest";
    out.emplace_back(std::move(old));
    return out;
}
}  // namespace

void fake_server::answer_models(const httplib::Request& req, httplib::Response& res) {
    if (admit(req, res) == 0) return;
    json::array models = fake_models();
    if (req.matches.size() < 2) {
        res.set_content(json::serialize(json::object{{"object", "list"}, {"data", models}}),
                        "application/json");
        return;
    }
    const std::string id = req.matches[1];  // httplib has percent-decoded the path
    for (const auto& m : models) {
        if (m.at("id").as_string() == id) {
            res.set_content(json::serialize(m), "application/json");
            return;
        }
    }
    res.status = 404;
    res.set_content(json::serialize(json::object{{"object", "error"},
                                                 {"message", "Invalid model: " + id},
                                                 {"type", "invalid_model"},
                                                 {"param", nullptr},
                                                 {"code", "1500"}}),
                    "application/json");
}

void fake_server::answer(const httplib::Request& req, httplib::Response& res,
                         std::size_t cut_after_chunks) {
    const int serial = admit(req, res);
    if (serial == 0) return;
    chat_request request;
    try {
        request = from_json<chat_request>(req.body);
    } catch (const std::exception& e) {
        res.status = 422;
        res.set_content(error_body_422(e.what()), "application/json");
        return;
    }
    // llama.cpp and Ollama take an assistant's content as text: a thinking part is refused.
    const auto foreign_part = [](const message& m) {
        const auto* a = std::get_if<assistant_message>(&m);
        const auto* list = a != nullptr && a->content
                               ? std::get_if<std::vector<content_chunk>>(&*a->content)
                               : nullptr;
        return list != nullptr && std::any_of(list->begin(), list->end(), [](const auto& piece) {
                   return !std::holds_alternative<text_chunk>(piece);
               });
    };
    if (options_.openai_compatible &&
        std::any_of(request.messages.begin(), request.messages.end(), foreign_part)) {
        res.status = 400;
        res.set_content(
            R"({"error":{"code":400,"message":"invalid message format","type":"invalid_request_error"}})",
            "application/json");
        return;
    }
    if (options_.openai_compatible && request.random_seed) {
        res.status = 400;
        res.set_content(
            R"({"error":{"code":400,"message":"unknown parameter random_seed: use seed",)"
            R"("type":"invalid_request_error"}})",
            "application/json");
        return;
    }
    // As the API does: every tool-call id of the history is 9 ASCII letters or digits.
    for (const auto& m : request.messages) {
        if (options_.openai_compatible) break;
        std::vector<std::string> ids;
        if (const auto* a = std::get_if<assistant_message>(&m); a && a->tool_calls) {
            for (const auto& c : *a->tool_calls) ids.push_back(c.id.value_or(""));
        } else if (const auto* t = std::get_if<tool_message>(&m)) {
            ids.push_back(t->tool_call_id.value_or(""));
        }
        for (const auto& tool_id : ids) {
            const bool ok = tool_id.size() == 9 &&
                            std::all_of(tool_id.begin(), tool_id.end(),
                                        [](unsigned char c) { return std::isalnum(c) != 0; });
            if (ok) continue;
            res.status = 400;
            res.set_content(json::serialize(json::object{
                                {"object", "error"},
                                {"message", "Tool call id was " + tool_id +
                                                " but must be a-z, A-Z, 0-9, with a length of 9."},
                                {"type", "invalid_function_call"},
                                {"param", nullptr},
                                {"code", "3280"}}),
                            "application/json");
            return;
        }
    }
    // A prefixed assistant message asks for its continuation: the rest of the reply that the
    // history without it gets (or that reply whole, when the prefix is not its beginning).
    std::optional<reply> planned;
    if (const auto* last = request.messages.empty()
                               ? nullptr
                               : std::get_if<assistant_message>(&request.messages.back());
        last != nullptr && last->prefix.value_or(false)) {
        const std::string prefix = last->text();
        chat_request without = request;
        without.messages.pop_back();
        reply r = plan(without, serial, options_.demo_hint);
        std::string text;
        for (const auto& t : r.tokens) text += t;
        if (text.starts_with(prefix)) {
            const std::string rest = text.substr(prefix.size());
            r.tokens = options_.echo_prefix ? tokenize(prefix) : std::vector<std::string>{};
            if (!rest.empty()) {
                // The first piece may end a word the prefix cut: it is its own token.
                const std::size_t word_end = std::min(rest.find(' ', 1), rest.size());
                r.tokens.push_back(rest.substr(0, word_end));
                for (auto& t : tokenize(rest.substr(word_end))) r.tokens.push_back(std::move(t));
            }
        }
        planned = std::move(r);
    }
    reply r = planned ? std::move(*planned) : plan(request, serial, options_.demo_hint);
    completion c{.model = request.model,
                 .tokens = std::move(r.tokens),
                 .calls = std::move(r.calls),
                 .finish_reason = std::move(r.finish_reason),
                 .prompt_tokens = count_words(request),
                 .serial = serial};
    if (options_.openai_compatible) {
        if (lower(request.model).find("magistral") != std::string::npos)
            c.reasoning = tokenize("The question is short, so a short answer will do.");
        const auto* asked = request.extra.if_contains("stream_options");
        c.include_usage = asked != nullptr && asked->is_object() &&
                          asked->get_object().if_contains("include_usage") != nullptr &&
                          asked->get_object().at("include_usage") == true;
    }
    send_completion(res, std::move(c), request.stream.value_or(false), cut_after_chunks);
}

void fake_server::send_completion(httplib::Response& res, completion r, bool stream,
                                  std::size_t cut_after_chunks) {
    const int serial = r.serial;
    const std::int64_t prompt_tokens = r.prompt_tokens;
    const auto completion_tokens = static_cast<std::int64_t>(r.tokens.size() + r.calls.size() * 8);
    const usage_info usage{.prompt_tokens = prompt_tokens,
                           .completion_tokens = completion_tokens,
                           .total_tokens = prompt_tokens + completion_tokens};
    res.set_header("x-ratelimit-tokens-query-cost", std::to_string(usage.total_tokens));
    const std::string id = "fake-cmpl-" + std::to_string(serial);

    if (!stream) {
        std::string text;
        for (const auto& t : r.tokens) text += t;
        assistant_message message{.content = text};
        if (!r.calls.empty()) message.tool_calls = r.calls;
        if (!r.reasoning.empty()) {
            std::string reasoning;
            for (const auto& t : r.reasoning) reasoning += t;
            message.extra["reasoning_content"] = reasoning;
        }
        const chat_response response{
            .id = id,
            .object = "chat.completion",
            .model = r.model,
            .created = 1733320000 + serial,
            .choices = {{.index = 0, .message = message, .finish_reason = r.finish_reason}},
            .usage = usage};
        res.set_content(to_json(response), "application/json");
        return;
    }

    auto chunk = [&](delta_message delta) {
        return chat_chunk{.id = id,
                          .object = "chat.completion.chunk",
                          .created = 1733320000 + serial,
                          .model = r.model,
                          .choices = {{.index = 0, .delta = std::move(delta)}}};
    };
    std::vector<chat_chunk> chunks{chunk({.role = "assistant", .content = ""})};
    for (const auto& token : r.reasoning)
        chunks.push_back(chunk({.extra = {{"reasoning_content", token}}}));
    for (const auto& token : r.tokens) chunks.push_back(chunk({.content = token}));
    if (!r.calls.empty()) {
        // As the official API streams them: each call whole, in one delta.
        std::vector<tool_call_delta> calls;
        for (const tool_call& call : r.calls) {
            calls.push_back({.id = call.id,
                             .type = call.type,
                             .function = function_call_delta{.name = call.function.name,
                                                             .arguments = call.function.arguments},
                             .index = call.index});
        }
        chunks.push_back(chunk({.content = "", .tool_calls = std::move(calls)}));
    }
    chunks.back().choices[0].finish_reason = r.finish_reason;
    if (!options_.openai_compatible) {
        chunks.back().usage = usage;
    } else if (r.include_usage) {
        chunks.push_back(chunk({}));
        chunks.back().choices.clear();
        chunks.back().usage = usage;
    }
    auto events = std::make_shared<std::vector<std::string>>();
    for (const auto& c : chunks) events->push_back("data: " + to_json(c) + "\n\n");
    events->push_back("data: [DONE]\n\n");
    const auto delay = options_.token_delay;
    auto next = std::make_shared<std::size_t>(0);
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, events, next, delay, cut_after_chunks](std::size_t, httplib::DataSink& sink) {
            if (*next == cut_after_chunks) return false;  // drop the connection mid-body
            if (*next == events->size()) {
                sink.done();
                return true;
            }
            if (*next > 0 && delay.count() > 0) wait_or_stop(delay);
            const std::string& event = (*events)[(*next)++];
            return sink.write(event.data(), event.size());
        });
}

void fake_server::answer_fim(const httplib::Request& req, httplib::Response& res) {
    const int serial = admit(req, res);
    if (serial == 0) return;
    fim_request request;
    try {
        request = from_json<fim_request>(req.body);
    } catch (const std::exception& e) {
        res.status = 422;
        res.set_content(error_body_422(e.what()), "application/json");
        return;
    }
    // The gap of "def add(a, b):" ... "    return c": "    c = a + b\n" (the parameters summed
    // into what the suffix returns); any other gap gets a comment.
    const std::string suffix = request.suffix.value_or("");
    const auto open = request.prompt.rfind('(');
    const auto close = request.prompt.rfind(')');
    const auto ret = suffix.find("return ");
    std::string fill;
    if (open != std::string::npos && close != std::string::npos && open < close &&
        ret != std::string::npos) {
        std::string params = request.prompt.substr(open + 1, close - open - 1);
        std::string sum;
        for (std::size_t at = 0; at <= params.size();) {
            std::size_t comma = std::min(params.find(',', at), params.size());
            std::string p = params.substr(at, comma - at);
            p.erase(0, p.find_first_not_of(' '));
            p.erase(std::min(p.find_first_of(" :="), p.size()));
            if (!p.empty()) sum += (sum.empty() ? "" : " + ") + p;
            at = comma + 1;
        }
        std::string name = suffix.substr(ret + 7);
        name.erase(std::min(name.find_first_of(" \n;"), name.size()));
        fill = "\n    " + name + " = " + (sum.empty() ? "0" : sum) + "\n";
    } else {
        fill = "\n    # the code between the prompt and the suffix\n";
    }
    send_completion(res,
                    {.model = request.model,
                     .tokens = tokenize(fill),
                     .finish_reason = "stop",
                     .prompt_tokens = static_cast<std::int64_t>(tokenize(request.prompt).size() +
                                                                tokenize(suffix).size()),
                     .serial = serial},
                    request.stream.value_or(false), static_cast<std::size_t>(-1));
}

namespace {
// The moderation categories of the API, and words that trip each here.
const std::vector<std::pair<std::string, std::vector<std::string>>>& moderation_words() {
    static const std::vector<std::pair<std::string, std::vector<std::string>>> words{
        {"sexual", {"nsfw"}},
        {"hate_and_discrimination", {"hate"}},
        {"violence_and_threats", {"kill", "attack", "hurt"}},
        {"dangerous_and_criminal_content", {"bomb", "steal"}},
        {"selfharm", {"suicide"}},
        {"health", {"diagnosis"}},
        {"financial", {"invest"}},
        {"law", {"lawsuit"}},
        {"pii", {"password", "@"}}};
    return words;
}

json::object moderate(const std::string& text) {
    const std::string t = lower(text);
    json::object categories;
    json::object scores;
    for (const auto& [category, words] : moderation_words()) {
        bool hit = false;
        for (const auto& w : words) hit = hit || t.find(w) != std::string::npos;
        categories[category] = hit;
        scores[category] = hit ? 0.93 : 0.0012;
    }
    return json::object{{"categories", std::move(categories)},
                        {"category_scores", std::move(scores)}};
}
}  // namespace

void fake_server::answer_moderations(const httplib::Request& req, httplib::Response& res) {
    const int serial = admit(req, res);
    if (serial == 0) return;
    json::array results;
    std::string model;
    try {
        if (req.path == "/v1/chat/moderations") {
            const auto request = from_json<chat_moderation_request>(req.body);
            if (request.input.empty()) throw std::invalid_argument("input: empty");
            std::string text;  // the conversation is judged whole
            for (const message& m : request.input)
                text += std::visit([](const auto& x) { return x.text(); }, m) + "\n";
            results.emplace_back(moderate(text));
            model = request.model;
        } else {
            json::value body = json::parse(req.body);
            if (auto* o = body.if_object();  // the API takes one text as a string, too
                o != nullptr && o->contains("input") && o->at("input").is_string()) {
                (*o)["input"] = json::array{o->at("input")};
            }
            const auto request = json::value_to<moderation_request>(body);
            if (request.input.empty()) throw std::invalid_argument("input: empty");
            for (const auto& text : request.input) results.emplace_back(moderate(text));
            model = request.model;
        }
    } catch (const std::exception& e) {
        res.status = 422;
        res.set_content(error_body_422(e.what()), "application/json");
        return;
    }
    res.set_content(json::serialize(json::object{{"id", "mod-fake-" + std::to_string(serial)},
                                                 {"model", model},
                                                 {"results", std::move(results)}}),
                    "application/json");
}

void fake_server::answer_ocr(const httplib::Request& req, httplib::Response& res) {
    const int serial = admit(req, res);
    if (serial == 0) return;
    ocr_request request;
    try {
        request = from_json<ocr_request>(req.body);
    } catch (const std::exception& e) {
        res.status = 422;
        res.set_content(error_body_422(e.what()), "application/json");
        return;
    }
    // A PDF has three pages (the second with an image, the third with a table), an image one.
    std::string source;
    std::int64_t page_count = 1;
    if (const auto* d = std::get_if<document_url_chunk>(&request.document)) {
        source = d->document_url;
        if (lower(source).find("pdf") != std::string::npos) page_count = 3;
    } else if (const auto* f = std::get_if<file_chunk>(&request.document)) {
        source = "file " + f->file_id;
        page_count = 3;
    } else {
        const auto& i = std::get<image_url_chunk>(request.document).image_url;
        source = std::holds_alternative<std::string>(i) ? std::get<std::string>(i)
                                                        : std::get<image_url>(i).url;
    }
    std::vector<std::int64_t> wanted = request.pages.value_or(std::vector<std::int64_t>{});
    if (wanted.empty())
        for (std::int64_t i = 0; i < page_count; ++i) wanted.push_back(i);
    json::array pages;
    for (const std::int64_t index : wanted) {
        if (index < 0 || index >= page_count) {
            res.status = 422;
            res.set_content(error_body_422("pages: " + std::to_string(index) + " is not a page"),
                            "application/json");
            return;
        }
        std::string markdown =
            "# Page " + std::to_string(index + 1) + "\n\nRead from " + source.substr(0, 64) + ".";
        json::array images;
        json::array tables;
        if (index == 1) {
            markdown += "\n\n![img-0.jpeg](img-0.jpeg)";
            json::object image{{"id", "img-0.jpeg"},
                               {"top_left_x", 292},
                               {"top_left_y", 217},
                               {"bottom_right_x", 1405},
                               {"bottom_right_y", 649}};
            if (request.include_image_base64.value_or(false))
                image["image_base64"] = "data:image/jpeg;base64,/9j/4AAQSkZJRg==";
            if (request.image_limit.value_or(1) > 0) images.emplace_back(std::move(image));
        }
        if (index == 2) {
            const std::string table = "| a | b |\n|---|---|\n| 1 | 2 |";
            if (request.table_format) {
                markdown += "\n\n[tbl-0.md](tbl-0.md)";
                tables.emplace_back(json::object{
                    {"id", "tbl-0.md"}, {"content", table}, {"format", *request.table_format}});
            } else {
                markdown += "\n\n" + table;
            }
        }
        pages.emplace_back(json::object{
            {"index", index},
            {"markdown", std::move(markdown)},
            {"images", std::move(images)},
            {"tables", std::move(tables)},
            {"hyperlinks", json::array{}},
            {"dimensions", json::object{{"dpi", 200}, {"height", 2200}, {"width", 1700}}}});
    }
    json::object out{
        {"pages", std::move(pages)},
        {"model", request.model},
        {"document_annotation", nullptr},
        {"usage_info", json::object{{"pages_processed", static_cast<std::int64_t>(wanted.size())},
                                    {"doc_size_bytes", static_cast<std::int64_t>(source.size())}}}};
    res.set_content(json::serialize(out), "application/json");
}

namespace faults {

fake_handler status(int code, std::string body, std::string content_type,
                    httplib::Headers headers) {
    return [=](const httplib::Request&, httplib::Response& res) {
        res.status = code;
        for (const auto& [name, value] : headers) res.set_header(name, value);
        res.set_content(body, content_type);
    };
}

fake_handler raw_stream(fake_server& server, std::vector<std::string> writes, bool cut,
                        std::chrono::milliseconds pause) {
    auto shared = std::make_shared<std::vector<std::string>>(std::move(writes));
    return [&server, shared, cut, pause](const httplib::Request&, httplib::Response& res) {
        auto next = std::make_shared<std::size_t>(0);
        res.set_chunked_content_provider(
            "text/event-stream",
            [&server, shared, next, cut, pause](std::size_t, httplib::DataSink& sink) {
                if (*next == shared->size()) {
                    if (cut) return false;  // drop the connection without ending the chunked body
                    sink.done();
                    return true;
                }
                if (*next > 0 && pause.count() > 0) server.wait_or_stop(pause);
                const std::string& piece = (*shared)[(*next)++];
                return sink.write(piece.data(), piece.size());
            });
    };
}

std::vector<std::string> text_events(std::size_t chunks, bool done) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < chunks; ++i) {
        out.push_back(
            R"(data: {"id":"f","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"w)" +
            std::to_string(i) + R"( "},"finish_reason":null}]})" + "\n\n");
    }
    if (done) out.push_back("data: [DONE]\n\n");
    return out;
}

fake_handler cut_after(fake_server& server, std::size_t chunks) {
    return [&server, chunks](const httplib::Request& req, httplib::Response& res) {
        server.answer(req, res, chunks);
    };
}

fake_handler stall(fake_server& server, std::chrono::milliseconds silence) {
    return [&server, silence](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/event-stream",
                                         [&server, silence](std::size_t, httplib::DataSink&) {
                                             server.wait_or_stop(silence);
                                             return false;
                                         });
    };
}

}  // namespace faults

// The Batch API. Ids are "file-N" and "batch-N"; times are seconds since the epoch.
namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void answer_json(httplib::Response& res, int status, const json::value& body) {
    res.status = status;
    res.set_content(json::serialize(body), "application/json");
}

void not_found(httplib::Response& res, const std::string& what) {
    answer_json(res, 404,
                json::object{{"object", "error"},
                             {"message", what + " not found"},
                             {"type", "invalid_request_error"},
                             {"param", nullptr},
                             {"code", "3001"}});
}

bool is_final(const json::object& job) {
    const auto& status = job.at("status").get_string();
    return status == "SUCCESS" || status == "FAILED" || status == "TIMEOUT_EXCEEDED" ||
           status == "CANCELLED";
}

}  // namespace

void fake_server::run_batch_job(batch_store::job& job) {
    std::string output;
    std::string errors;
    std::int64_t succeeded = 0;
    std::int64_t failed = 0;
    const std::string id(job.meta.at("id").get_string());
    for (std::size_t i = 0; i < job.lines.size(); ++i) {
        json::value line = json::parse(job.lines[i]);
        json::object& request = line.as_object();
        json::object& body = request["body"].as_object();
        if (!body.contains("model") && job.meta.at("model").is_string())
            body["model"] = job.meta.at("model");
        // Each request is answered as POST /v1/chat/completions would answer it.
        httplib::Request one;
        one.method = "POST";
        one.path = "/v1/chat/completions";
        one.body = json::serialize(body);
        one.headers.emplace("Authorization", job.authorization);
        httplib::Response answer_of_one;
        if (body.contains("stream") && body.at("stream") == json::value(true)) {
            answer_of_one.status = 422;
            answer_of_one.body = error_body_422("stream: a batch answers each request whole");
        } else {
            answer(one, answer_of_one);
        }
        const int status = answer_of_one.status == -1 ? 200 : answer_of_one.status;
        json::object out{{"id", id + "-" + std::to_string(i)},
                         {"custom_id", request.contains("custom_id") ? request.at("custom_id")
                                                                     : json::value(nullptr)},
                         {"response", json::object{{"status_code", status},
                                                   {"body", json::parse(answer_of_one.body)}}},
                         {"error", nullptr}};
        if (status == 200) {
            output += json::serialize(out) + "\n";
            ++succeeded;
        } else {
            out["error"] = json::object{
                {"message", "the request failed with status " + std::to_string(status)},
                {"code", status}};
            errors += json::serialize(out) + "\n";
            ++failed;
        }
    }
    const auto store_file = [&](const std::string& content, const char* name) {
        const std::string file_id = "file-" + std::to_string(++batch_->serial);
        batch_->files[file_id] = {
            json::object{
                {"id", file_id},
                {"object", "file"},
                {"bytes", static_cast<std::int64_t>(content.size())},
                {"created_at", unix_now()},
                {"filename", id + "-" + name + ".jsonl"},
                {"purpose", "batch"},
                {"sample_type", name == std::string("output") ? "batch_result" : "batch_error"},
                {"source", "mistral"}},
            content};
        return file_id;
    };
    if (!output.empty()) job.meta["output_file"] = store_file(output, "output");
    if (!errors.empty()) job.meta["error_file"] = store_file(errors, "error");
    job.meta["completed_requests"] = succeeded + failed;
    job.meta["succeeded_requests"] = succeeded;
    job.meta["failed_requests"] = failed;
    job.meta["completed_at"] = unix_now();
    job.meta["status"] = "SUCCESS";
}

void fake_server::answer_batch(const httplib::Request& req, httplib::Response& res) {
    if (admit(req, res) == 0) return;
    std::lock_guard lock(batch_->mutex);
    auto& files = batch_->files;
    auto& jobs = batch_->jobs;
    const std::string id = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
    const bool on_files = req.path.rfind("/v1/files", 0) == 0;

    if (on_files && req.method == "POST") {
        if (!req.has_file("file") || !req.has_file("purpose")) {
            answer_json(res, 422, json::parse(error_body_422("file and purpose are required")));
            return;
        }
        const auto file = req.get_file_value("file");
        const std::string purpose = req.get_file_value("purpose").content;
        if (purpose != "batch" && purpose != "fine-tune" && purpose != "ocr") {
            answer_json(res, 422, json::parse(error_body_422("purpose: not a file purpose")));
            return;
        }
        const std::string file_id = "file-" + std::to_string(++batch_->serial);
        json::object meta{{"id", file_id},
                          {"object", "file"},
                          {"bytes", static_cast<std::int64_t>(file.content.size())},
                          {"created_at", unix_now()},
                          {"filename", file.filename},
                          {"purpose", purpose},
                          {"sample_type", purpose == "batch" ? "batch_request" : "instruct"},
                          {"source", "upload"},
                          {"num_lines", static_cast<std::int64_t>(std::count(
                                            file.content.begin(), file.content.end(), '\n'))},
                          {"mimetype", "application/jsonl"}};
        files[file_id] = {meta, file.content};
        answer_json(res, 200, meta);
    } else if (on_files && id.empty()) {
        json::array data;
        for (const auto& [file_id, file] : files) {
            if (req.has_param("purpose") &&
                file.meta.at("purpose").get_string() != req.get_param_value("purpose"))
                continue;
            data.push_back(file.meta);
        }
        const auto total = static_cast<std::int64_t>(data.size());
        answer_json(res, 200,
                    json::object{{"data", std::move(data)}, {"object", "list"}, {"total", total}});
    } else if (on_files) {
        const auto found = files.find(id);
        if (found == files.end()) return not_found(res, "file " + id);
        if (req.method == "DELETE") {
            files.erase(found);
            answer_json(res, 200, json::object{{"id", id}, {"object", "file"}, {"deleted", true}});
        } else if (req.path.ends_with("/content")) {
            res.set_content(found->second.content, "application/octet-stream");
        } else {
            json::object meta = found->second.meta;
            meta["deleted"] = false;
            answer_json(res, 200, meta);
        }
    } else if (req.method == "POST" && id.empty()) {
        json::object job;
        try {
            job = json::parse(req.body).as_object();
        } catch (const std::exception& e) {
            answer_json(res, 422, json::parse(error_body_422(e.what())));
            return;
        }
        batch_store::job created;
        created.authorization = req.get_header_value("Authorization");
        const auto* input_files = job.if_contains("input_files");
        const auto* requests = job.if_contains("requests");
        if (input_files != nullptr && input_files->is_array()) {
            for (const auto& file_id : input_files->get_array()) {
                const auto found = files.find(std::string(file_id.as_string()));
                if (found == files.end())
                    return not_found(res, "file " + std::string(file_id.as_string()));
                std::istringstream lines(found->second.content);
                for (std::string line; std::getline(lines, line);) {
                    if (line.empty()) continue;
                    boost::system::error_code ec;
                    const json::value parsed = json::parse(line, ec);
                    if (ec || !parsed.is_object() || !parsed.as_object().contains("body")) {
                        answer_json(
                            res, 422,
                            json::parse(error_body_422("input file line " +
                                                       std::to_string(created.lines.size() + 1) +
                                                       ": not a batch request")));
                        return;
                    }
                    created.lines.push_back(line);
                }
            }
        } else if (requests != nullptr && requests->is_array()) {
            for (const auto& r : requests->get_array()) created.lines.push_back(json::serialize(r));
        }
        if (created.lines.empty() || !job.contains("endpoint")) {
            answer_json(res, 422,
                        json::parse(error_body_422("endpoint, and input_files or requests")));
            return;
        }
        const std::string job_id = "batch-" + std::to_string(++batch_->serial);
        json::array inputs;
        if (input_files != nullptr && input_files->is_array()) inputs = input_files->get_array();
        created.meta = json::object{
            {"id", job_id},
            {"object", "batch"},
            {"input_files", std::move(inputs)},
            {"metadata", job.contains("metadata") ? job.at("metadata") : json::value(nullptr)},
            {"endpoint", job.at("endpoint")},
            {"model", job.contains("model") ? job.at("model") : json::value(nullptr)},
            {"output_file", nullptr},
            {"error_file", nullptr},
            {"errors", json::array{}},
            {"status", "QUEUED"},
            {"created_at", unix_now()},
            {"total_requests", static_cast<std::int64_t>(created.lines.size())},
            {"completed_requests", 0},
            {"succeeded_requests", 0},
            {"failed_requests", 0},
            {"started_at", nullptr},
            {"completed_at", nullptr}};
        answer_json(res, 200, created.meta);
        jobs[job_id] = std::move(created);
    } else if (id.empty()) {
        json::array data;
        const auto statuses = req.get_param_value_count("status");
        for (const auto& [job_id, job] : jobs) {
            bool wanted = statuses == 0;
            for (std::size_t i = 0; i < statuses; ++i)
                wanted = wanted ||
                         job.meta.at("status").get_string() == req.get_param_value("status", i);
            if (req.has_param("model") &&
                job.meta.at("model") != json::value(req.get_param_value("model").c_str()))
                wanted = false;
            if (wanted) data.push_back(job.meta);
        }
        const auto total = static_cast<std::int64_t>(data.size());
        answer_json(res, 200,
                    json::object{{"data", std::move(data)}, {"object", "list"}, {"total", total}});
    } else {
        const auto found = jobs.find(id);
        if (found == jobs.end()) return not_found(res, "batch job " + id);
        json::object& meta = found->second.meta;
        if (req.method == "POST") {  // cancel
            if (!is_final(meta)) meta["status"] = "CANCELLATION_REQUESTED";
        } else if (meta.at("status") == json::value("QUEUED")) {
            meta["status"] = "RUNNING";
            meta["started_at"] = unix_now();
        } else if (meta.at("status") == json::value("RUNNING")) {
            run_batch_job(found->second);
        } else if (meta.at("status") == json::value("CANCELLATION_REQUESTED")) {
            meta["status"] = "CANCELLED";
            meta["completed_at"] = unix_now();
        }
        answer_json(res, 200, meta);
    }
}

}  // namespace mistral::test
