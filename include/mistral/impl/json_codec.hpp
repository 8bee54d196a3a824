// mistral/impl/json_codec.hpp: the reader and the writers over json.hpp's field tables (one
// walker each, driven by a layout per type): JSON paths in errors, reading with reuse of storage,
// writing into a DOM or straight to text.
// Included by json.hpp; not a header of its own.
// SPDX-License-Identifier: MIT
#pragma once

#include "../detail/config.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// ---------------------------------------------------------------------------------------------
// Errors with a JSON path
// ---------------------------------------------------------------------------------------------

// Where the reader is, for error messages (fixed size: recording a path never allocates), and
// whether the JSON being read may be moved from (see keep_json).
class json_path {
public:
    // The source is no longer needed after reading: JSON kept as it is moves out of it.
    void allow_moves() noexcept { moves_ = true; }
    bool moves() const noexcept { return moves_; }

    void push(std::string_view key) noexcept { push_segment({key, 0, false}); }
    void push(std::size_t index) noexcept { push_segment({{}, index, true}); }
    void pop() noexcept { --depth_; }

    std::string str() const {
        std::string out;
        const std::size_t shown = depth_ < max_depth ? depth_ : max_depth;
        for (std::size_t i = 0; i < shown; ++i) {
            const segment& s = segments_[i];
            if (s.is_index) {
                out += '[' + std::to_string(s.index) + ']';
            } else {
                if (!out.empty()) out += '.';
                out += s.key;
            }
        }
        if (depth_ > max_depth) out += "...";
        return out;
    }

private:
    struct segment {
        std::string_view key;
        std::size_t index;
        bool is_index;
    };
    static constexpr std::size_t max_depth = 32;

    void push_segment(segment s) noexcept {
        if (depth_ < max_depth) segments_[depth_] = s;
        ++depth_;
    }

    std::array<segment, max_depth> segments_{};
    std::size_t depth_ = 0;
    bool moves_ = false;
};

// JSON that a type keeps as it is (unknown members, objects of its own): moved out of a source
// that read_json() was given to consume (the caller handed over a non-const tree), so a large
// unknown member costs its size once; else copied.
template <class Json>
void keep_json(Json& into, const Json& from, const json_path& path) {
    if (path.moves()) {
        into = std::move(const_cast<Json&>(from));  // NOLINT: the tree is the caller's to give
    } else {
        into = from;
    }
}

inline const char* kind_name(boost::json::kind k) noexcept {
    switch (k) {
        case boost::json::kind::null:
            return "null";
        case boost::json::kind::bool_:
            return "bool";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
            return "integer";
        case boost::json::kind::double_:
            return "number";
        case boost::json::kind::string:
            return "string";
        case boost::json::kind::array:
            return "array";
        case boost::json::kind::object:
            return "object";
    }
    return "value";
}

[[noreturn]] inline void fail(const json_path& path, const std::string& what) {
    std::string where = path.str();
    std::string message = (where.empty() ? std::string("JSON") : where) + ": " + what;
    throw protocol_error(message, std::move(where));
}

[[noreturn]] inline void fail_type(const json_path& path, const char* expected,
                                   const boost::json::value& got) {
    fail(path, std::string("expected ") + expected + ", got " + kind_name(got.kind()));
}

// ---------------------------------------------------------------------------------------------
// Layouts
// ---------------------------------------------------------------------------------------------
// One walker reads every object and one writes every object, whatever its type: each described
// type gets a layout (the names, flags and offsets of its fields, and the functions that read or
// write each member's type), built once from its field table. The walkers and the codecs of
// strings and numbers are compiled once; what is compiled per type is its layout and the codecs
// of its member types (vectors, variants, optionals), so a translation unit that writes a
// chat_request does not compile a copy of the writer for each type a request can hold.

// The value every member of a fresh T has, for reading a missing member. Never destroyed, so
// that no translation unit compiles T's destructor for an exit-time handler.
template <class T>
const T& default_instance() {
    alignas(T) static unsigned char storage[sizeof(T)];
    static const T* instance = ::new (static_cast<void*>(storage)) T{};
    return *instance;
}

// The number of entries of a type's table.
template <class T>
constexpr unsigned field_count() {
    unsigned n = 0;
    fields(static_cast<T*>(nullptr), [&](const auto&) {
        ++n;
        return false;
    });
    return n;
}

// One entry of a layout; `Ops` holds the functions that read or write its member.
template <class Ops>
struct field_layout {
    std::string_view name;
    std::string_view tag;  // a discriminator's constant value: it has no member, nor ops
    unsigned flags = 0;
    std::ptrdiff_t offset = 0;  // of the member in the object
    Ops ops{};
};

template <class Ops>
struct object_layout {
    std::span<const field_layout<Ops>> fields;
    std::ptrdiff_t extra = 0;        // offset of the object's `extra`
    const void* defaults = nullptr;  // default_instance

    bool models(std::string_view name) const noexcept {
        for (const auto& f : fields)
            if (f.name == name) return true;
        return false;
    }
    template <class Object>
    static auto* member(Object* object, const field_layout<Ops>& f) noexcept {
        using byte = std::conditional_t<std::is_const_v<Object>, const char, char>;
        return reinterpret_cast<byte*>(object) + f.offset;
    }
    template <class Object>
    auto& extra_of(Object* object) const noexcept {
        using json = std::conditional_t<std::is_const_v<Object>, const boost::json::object,
                                        boost::json::object>;
        using byte = std::conditional_t<std::is_const_v<Object>, const char, char>;
        return *reinterpret_cast<json*>(reinterpret_cast<byte*>(object) + extra);
    }
};

template <class Ops, class T>
const object_layout<Ops>& layout_of() {
    // Built once, in place: the layout's span points into the entries beside it.
    struct table {
        std::array<field_layout<Ops>, field_count<T>()> entries{};
        object_layout<Ops> layout{};

        table() {
            const T& probe = default_instance<T>();
            const auto* base = reinterpret_cast<const char*>(&probe);
            std::size_t i = 0;
            fields(static_cast<T*>(nullptr), [&](const auto& f) {
                field_layout<Ops>& entry = entries[i++];
                entry.name = f.name;
                if constexpr (std::is_same_v<std::decay_t<decltype(f)>, tag_field>) {
                    entry.tag = f.value;
                } else {
                    using M = std::remove_cvref_t<decltype(probe.*(f.ptr))>;
                    entry.flags = f.flags;
                    entry.offset = reinterpret_cast<const char*>(&(probe.*(f.ptr))) - base;
                    entry.ops = Ops::template of<M>();
                }
                return false;
            });
            layout = {entries, reinterpret_cast<const char*>(&probe.extra) - base, &probe};
        }
    };
    static const table built;
    return built.layout;
}

template <class M>
void read_value(M& out, const boost::json::value& jv, json_path& path);

// Reading a member: its value (null included: an optional is then unset), or its default.
struct read_ops {
    void (*read)(void* member, const boost::json::value& jv, json_path& path) = nullptr;
    void (*reset)(void* member, const void* default_member) = nullptr;

    template <class M>
    static constexpr read_ops of() {
        return {[](void* member, const boost::json::value& jv, json_path& path) {
                    read_value(*static_cast<M*>(member), jv, path);
                },
                [](void* member, const void* default_member) {
                    if constexpr (is_optional<M>::value) {
                        static_cast<M*>(member)->reset();
                    } else {
                        *static_cast<M*>(member) = *static_cast<const M*>(default_member);
                    }
                }};
    }
};

template <class M>
void write_to(boost::json::value& out, const M& in);
class text_writer;
template <class M>
void write_to(text_writer& out, const M& in);

// Writing a member into `Out` (a text_writer, or a boost::json::value for value_from): whether
// it is written at all (an unset optional is not) and its value (an optional's value).
template <class Out>
struct write_ops {
    bool (*present)(const void* member) = nullptr;  // null: always
    void (*write)(Out& out, const void* member) = nullptr;

    template <class M>
    static constexpr write_ops of() {
        if constexpr (is_optional<M>::value) {
            return {[](const void* member) { return static_cast<const M*>(member)->has_value(); },
                    [](Out& out, const void* member) {
                        write_to(out, **static_cast<const M*>(member));
                    }};
        } else {
            return {nullptr, [](Out& out, const void* member) {
                        write_to(out, *static_cast<const M*>(member));
                    }};
        }
    }
};

// Whether the object writes the member `name` (a set or always-present field, or a member of
// extra the type does not model).
template <class Out>
bool writes(const object_layout<write_ops<Out>>& layout, const void* object,
            std::string_view name) {
    for (const auto& f : layout.fields) {
        if (f.name != name) continue;
        return f.ops.present == nullptr || (f.flags & null_when_unset) ||
               f.ops.present(layout.member(object, f));
    }
    return layout.extra_of(object).contains(name);
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------
// read_value(out, json, path) overwrites `out` entirely but reuses its storage (string and
// vector capacity), so a decoder that reads every chunk into the same object does not allocate.

// The member of `f` takes its default (an optional is unset).
inline void reset_member(void* object, const object_layout<read_ops>& layout,
                         const field_layout<read_ops>& f) {
    f.ops.reset(layout.member(object, f), layout.member(layout.defaults, f));
}

// Every member of a type's table that `filled` does not name takes its default (an optional is
// unset), and so does extra: for a decoder that fills `filled` itself and reuses the object.
// Driven by the table, so a member added to the type is reset too.
template <class T>
void reset_members_except(T& out, std::initializer_list<std::string_view> filled) {
    const object_layout<read_ops>& layout = layout_of<read_ops, T>();
    for (const auto& f : layout.fields) {
        if (f.ops.read != nullptr &&
            std::find(filled.begin(), filled.end(), f.name) == filled.end())
            reset_member(&out, layout, f);
    }
    out.extra.clear();
}

// The walker every object type is read with.
inline void read_members(void* object, const object_layout<read_ops>& layout,
                         const boost::json::value& jv, json_path& path) {
    const boost::json::object* obj = jv.if_object();
    if (obj == nullptr) fail_type(path, "object", jv);
    boost::json::object& extra = layout.extra_of(object);
    extra.clear();
    std::uint64_t seen = 0;
    for (const auto& kv : *obj) {
        const std::string_view key = kv.key();
        std::size_t index = 0;
        while (index < layout.fields.size() && layout.fields[index].name != key) ++index;
        if (index == layout.fields.size()) {
            if (!kv.value().is_null()) keep_json(extra[key], kv.value(), path);
            continue;
        }
        seen |= std::uint64_t{1} << index;
        const auto& f = layout.fields[index];
        path.push(key);
        if (f.ops.read == nullptr) {
            const auto* s = kv.value().if_string();
            if (!kv.value().is_null() && (s == nullptr || std::string_view(*s) != f.tag))
                fail(path, "expected \"" + std::string(f.tag) + "\"");
        } else if (kv.value().is_null() && !(f.flags & required)) {
            reset_member(object, layout, f);
        } else {
            f.ops.read(layout.member(object, f), kv.value(), path);
        }
        path.pop();
    }
    for (std::size_t index = 0; index < layout.fields.size(); ++index) {
        const auto& f = layout.fields[index];
        if (f.ops.read == nullptr || (seen & (std::uint64_t{1} << index))) continue;
        if (f.flags & required) {
            path.push(f.name);
            fail(path, "missing");
        }
        reset_member(object, layout, f);
    }
}

template <class T>
void read_object(T& out, const boost::json::value& jv, json_path& path) {
    static_assert(field_count<T>() <= 64, "read_members records the members seen in 64 bits");
    read_members(&out, layout_of<read_ops, T>(), jv, path);
}

// A variant discriminated by a member ("type" for chunks and tools, "role" for messages). An
// unknown discriminator lands in the opaque alternative when there is one, else is an error. A
// missing "type" means the first alternative (the specification's default, e.g. "function"); a
// message without a "role" is an error.
template <class... Ts>
void read_tagged(std::variant<Ts...>& out, const boost::json::value& jv, json_path& path) {
    using variant = std::variant<Ts...>;
    using first = std::variant_alternative_t<0, variant>;
    constexpr bool has_opaque = (opaque_object<Ts> || ...);
    const boost::json::object* obj = jv.if_object();
    if (obj == nullptr) fail_type(path, "object", jv);
    constexpr tag_field tag = tag_of<first>();
    const boost::json::value* d = obj->if_contains(tag.name);
    if (d != nullptr && d->is_null()) d = nullptr;
    std::string_view wanted = tag.value;
    if (d != nullptr) {
        const auto* s = d->if_string();
        if (s == nullptr) {
            path.push(tag.name);
            fail_type(path, "string", *d);
        }
        wanted = *s;
    } else if constexpr (!has_opaque) {
        path.push(tag.name);
        fail(path, "missing");
    }
    bool done = false;
    auto try_alternative = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
        using alt = std::variant_alternative_t<I, variant>;
        if (done) return;
        if constexpr (opaque_object<alt>) {
            if (out.index() != I) out.template emplace<I>();
            std::get<I>(out).json = *obj;
            done = true;
        } else if (tag_of<alt>().value == wanted) {
            if (out.index() != I) out.template emplace<I>();
            read_object(std::get<I>(out), jv, path);
            done = true;
        }
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (try_alternative(std::integral_constant<std::size_t, I>{}), ...);
    }
    (std::index_sequence_for<Ts...>{});
    if (!done) {
        path.push(tag.name);
        fail(path, "unknown value \"" + std::string(wanted) + "\"");
    }
}

// Types of users' own structs (structured output, tool arguments), beside the API's.
template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
struct is_string_map : std::false_type {};
template <class T, class C, class A>
struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};

// The API's variants that a member discriminates (read_tagged), and those that keep the form
// of "a string, or else an object or array"; any other variant (a user's) takes the first
// alternative that fits.
template <class T>
struct tagged_variant : std::false_type {};
template <class... Ts>
struct tagged_variant<std::variant<Ts...>>
    : std::bool_constant<((described<Ts> || opaque_object<Ts>)&&...)> {};

template <class T>
struct string_or_structure : std::false_type {};
template <class S>
struct string_or_structure<std::variant<std::string, S>>
    : std::bool_constant<is_vector<S>::value || described<S> ||
                         std::is_same_v<S, boost::json::object>> {};

template <class M>
void read_integer(M& out, const boost::json::value& jv, json_path& path) {
    bool fits = false;
    if (const auto* i = jv.if_int64()) {
        fits = std::in_range<M>(*i);
        if (fits) out = static_cast<M>(*i);
    } else if (const auto* u = jv.if_uint64()) {
        fits = std::in_range<M>(*u);
        if (fits) out = static_cast<M>(*u);
    } else {
        fail_type(path, "integer", jv);
    }
    if (!fits) {
        fail(path, "integer " + boost::json::serialize(jv) + " out of range [" +
                       std::to_string(std::numeric_limits<M>::min()) + ", " +
                       std::to_string(std::numeric_limits<M>::max()) + "]");
    }
}

template <class... Ts>
void read_first_fit(std::variant<Ts...>& out, const boost::json::value& jv, json_path& path) {
    bool done = false;
    auto try_alternative = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
        if (done) return;
        std::variant_alternative_t<I, std::variant<Ts...>> candidate{};
        json_path scratch = path;  // a copy that never moves: the next alternative reads again
        if (scratch.moves()) scratch = json_path();
        try {
            read_value(candidate, jv, scratch);
        } catch (const protocol_error&) {
            return;
        }
        out.template emplace<I>(std::move(candidate));
        done = true;
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (try_alternative(std::integral_constant<std::size_t, I>{}), ...);
    }
    (std::index_sequence_for<Ts...>{});
    if (!done)
        fail(path, std::string("fits none of the alternatives, got ") + kind_name(jv.kind()));
}

// A described enum is its enumerators' names.
template <class E>
void read_described_enum(E& out, const boost::json::value& jv, json_path& path) {
    const auto* s = jv.if_string();
    if (s == nullptr) fail_type(path, "string", jv);
    bool found = false;
    std::string names;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto e) {
        if (!found && std::string_view(*s) == e.name) {
            out = e.value;
            found = true;
        }
        names += std::string(names.empty() ? "" : ", ") + "\"" + e.name + "\"";
    });
    if (!found) fail(path, "expected one of " + names + ", got \"" + std::string(*s) + "\"");
}

// A described struct (its public members and its bases'): every member that is not an optional
// must be present; members the struct does not describe are ignored.
template <class T>
void read_described_struct(T& out, const boost::json::value& jv, json_path& path) {
    const boost::json::object* obj = jv.if_object();
    if (obj == nullptr) fail_type(path, "object", jv);
    using members = boost::describe::describe_members<T, boost::describe::mod_public |
                                                             boost::describe::mod_inherited>;
    boost::mp11::mp_for_each<members>([&](auto d) {
        auto& slot = out.*d.pointer;
        using M = std::remove_reference_t<decltype(slot)>;
        const boost::json::value* v = obj->if_contains(d.name);
        path.push(d.name);
        if (v == nullptr) {
            if constexpr (!is_optional<M>::value) fail(path, "missing");
            slot = M{};
        } else {
            read_value(slot, *v, path);
        }
        path.pop();
    });
}

template <class M>
void read_value(M& out, const boost::json::value& jv, json_path& path) {
    if constexpr (std::is_same_v<M, std::string>) {
        const auto* s = jv.if_string();
        if (s == nullptr) fail_type(path, "string", jv);
        out.assign(s->data(), s->size());
    } else if constexpr (std::is_same_v<M, bool>) {
        const bool* b = jv.if_bool();
        if (b == nullptr) fail_type(path, "boolean", jv);
        out = *b;
    } else if constexpr (std::is_same_v<M, std::int64_t>) {
        if (const auto* i = jv.if_int64()) {
            out = *i;
        } else if (const auto* u = jv.if_uint64()) {
            if (*u > std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
                fail(path, "integer " + std::to_string(*u) + " out of range [" +
                               std::to_string(std::numeric_limits<std::int64_t>::min()) + ", " +
                               std::to_string(std::numeric_limits<std::int64_t>::max()) + "]");
            }
            out = static_cast<std::int64_t>(*u);
        } else {
            fail_type(path, "integer", jv);
        }
    } else if constexpr (std::is_same_v<M, double>) {
        if (!jv.is_number()) fail_type(path, "number", jv);
        out = jv.to_number<double>();
    } else if constexpr (std::is_same_v<M, boost::json::object>) {
        const auto* o = jv.if_object();
        if (o == nullptr) fail_type(path, "object", jv);
        keep_json(out, *o, path);
    } else if constexpr (is_vector<M>::value) {
        const auto* a = jv.if_array();
        if (a == nullptr) fail_type(path, "array", jv);
        out.resize(a->size());
        for (std::size_t i = 0; i < a->size(); ++i) {
            path.push(i);
            if constexpr (std::is_same_v<typename M::value_type, bool>) {
                bool element = false;  // std::vector<bool> hands out proxies, not bools
                read_value(element, (*a)[i], path);
                out[i] = element;
            } else {
                read_value(out[i], (*a)[i], path);
            }
            path.pop();
        }
    } else if constexpr (opaque_object<M>) {
        const auto* o = jv.if_object();
        if (o == nullptr) fail_type(path, "object", jv);
        keep_json(out.json, *o, path);
    } else if constexpr (described<M>) {
        read_object(out, jv, path);
    } else if constexpr (std::is_same_v<M, reference_id>) {
        if (jv.is_string()) {
            if (out.index() != 1) out.template emplace<1>();
            read_value(std::get<1>(out), jv, path);
        } else if (jv.is_int64() || jv.is_uint64()) {
            if (out.index() != 0) out.template emplace<0>();
            read_value(std::get<0>(out), jv, path);
        } else {
            fail_type(path, "integer or string", jv);
        }
    } else if constexpr (is_variant<M>::value && !tagged_variant<variant_base_t<M>>::value &&
                         !string_or_structure<variant_base_t<M>>::value) {
        read_first_fit(out, jv, path);
    } else if constexpr (is_variant<M>::value) {
        using variant = variant_base_t<M>;
        using first = std::variant_alternative_t<0, variant>;
        if constexpr (std::is_same_v<first, std::string>) {
            // "A string, or else an object/array": keeps the form it came in.
            static_assert(std::variant_size_v<variant> == 2);
            if (jv.is_string()) {
                if (out.index() != 0) out.template emplace<0>();
                read_value(std::get<0>(out), jv, path);
            } else {
                using second = std::variant_alternative_t<1, variant>;
                if (!jv.is_object() && !jv.is_array()) {
                    fail_type(path,
                              is_vector<second>::value ? "string or array" : "string or object",
                              jv);
                }
                if (out.index() != 1) out.template emplace<1>();
                read_value(std::get<1>(out), jv, path);
            }
        } else {
            read_tagged(out, jv, path);
        }
    } else if constexpr (is_optional<M>::value) {
        if (jv.is_null()) {
            out.reset();
            return;
        }
        if (!out) out.emplace();
        read_value(*out, jv, path);
    } else if constexpr (std::is_same_v<M, boost::json::value>) {
        keep_json(out, jv, path);
    } else if constexpr (std::is_integral_v<M>) {
        read_integer(out, jv, path);
    } else if constexpr (std::is_floating_point_v<M>) {
        if (!jv.is_number()) fail_type(path, "number", jv);
        out = static_cast<M>(jv.to_number<double>());
    } else if constexpr (is_std_array<M>::value) {
        const auto* a = jv.if_array();
        if (a == nullptr) fail_type(path, "array", jv);
        if (a->size() != out.size()) {
            fail(path, "expected " + std::to_string(out.size()) + " elements, got " +
                           std::to_string(a->size()));
        }
        for (std::size_t i = 0; i < out.size(); ++i) {
            path.push(i);
            read_value(out[i], (*a)[i], path);
            path.pop();
        }
    } else if constexpr (is_string_map<M>::value) {
        const auto* o = jv.if_object();
        if (o == nullptr) fail_type(path, "object", jv);
        out.clear();
        for (const auto& kv : *o) {
            path.push(kv.key());
            read_value(out[std::string(kv.key())], kv.value(), path);
            path.pop();
        }
    } else if constexpr (boost::describe::has_describe_enumerators<M>::value) {
        read_described_enum(out, jv, path);
    } else if constexpr (boost::describe::has_describe_members<M>::value) {
        read_described_struct(out, jv, path);
    } else {
        static_assert(sizeof(M) == 0, "no JSON conversion for this type");
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

// The alternative that a variant holds, written with `write` (a fold over the alternatives'
// indexes: it costs less to compile than std::visit's tables).
template <class Write, class... Ts>
void write_alternative(const std::variant<Ts...>& in, Write&& write) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((in.index() == I ? (write(*std::get_if<I>(&in)), 0) : 0), ...);
    }
    (std::index_sequence_for<Ts...>{});
}

// Into a DOM, for value_from.
inline void write_object(boost::json::object& out, const void* object,
                         const object_layout<write_ops<boost::json::value>>& layout) {
    for (const auto& f : layout.fields) {
        const char* member = layout.member(object, f);
        if (f.ops.write == nullptr) {
            out[f.name] = f.tag;
        } else if (f.ops.present == nullptr || f.ops.present(member)) {
            f.ops.write(out[f.name], member);
        } else if (f.flags & null_when_unset) {
            out[f.name] = nullptr;
        }
    }
    for (const auto& kv : layout.extra_of(object))
        if (!layout.models(kv.key())) out[kv.key()] = kv.value();
}

// The double that a float's shortest text names (0.1f is 0.1, not 0.10000000149011612): what a
// tree holds of a float, so that it is written as the float was read.
inline double float_as_double(float in) {
    char buffer[32];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, in).ptr;
    boost::system::error_code ec;
    const boost::json::value v =
        boost::json::parse(std::string_view(buffer, static_cast<std::size_t>(end - buffer)), ec);
    return ec ? static_cast<double>(in) : v.to_number<double>();  // inf, nan: as they are
}

template <class M>
void write_value(boost::json::value& out, const M& in) {
    if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, std::string_view>) {
        out.emplace_string().assign(in.data(), in.size());
    } else if constexpr (std::is_same_v<M, bool> || std::is_same_v<M, std::int64_t> ||
                         std::is_same_v<M, double> || std::is_same_v<M, std::nullptr_t> ||
                         std::is_same_v<M, boost::json::object> ||
                         std::is_same_v<M, boost::json::value>) {
        out = in;
    } else if constexpr (std::is_same_v<M, float>) {
        out = float_as_double(in);
    } else if constexpr (is_vector<M>::value) {
        boost::json::array& arr = out.emplace_array();
        arr.reserve(in.size());
        for (const auto& item : in) write_value(arr.emplace_back(nullptr), item);
    } else if constexpr (opaque_object<M>) {
        out = in.json;
    } else if constexpr (described<M>) {
        write_object(out.emplace_object(), &in, layout_of<write_ops<boost::json::value>, M>());
    } else if constexpr (is_variant<M>::value) {
        if (in.valueless_by_exception()) throw std::bad_variant_access();
        write_alternative(in, [&](const auto& alt) { write_value(out, alt); });
    } else {
        static_assert(sizeof(M) == 0, "no JSON conversion for this type");
    }
}

template <class M>
void write_to(boost::json::value& out, const M& in) {
    write_value(out, in);
}

// The length of the longest prefix of `s` that a JSON string holds as it is (no '"', '\\' or
// control character). Eight bytes at a time: request bodies are mostly such text.
inline std::size_t unescaped_prefix(std::string_view s) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101u;
    constexpr std::uint64_t highs = 0x8080808080808080u;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        const std::uint64_t quote = w ^ (ones * '"');
        const std::uint64_t backslash = w ^ (ones * '\\');
        // Non-zero when a byte is below 0x20, '"' or '\\': the classic test for a zero byte,
        // applied to w - 0x20.., w ^ '"'.. and w ^ '\\'..; their high bits are w's, hence one ~w.
        // A false alarm is possible past a true one only; the bytewise loop decides.
        const std::uint64_t special =
            ((w - ones * 0x20) | (quote - ones) | (backslash - ones)) & ~w & highs;
        if (special != 0) break;
    }
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == '"' || c == '\\') break;
        ++i;
    }
    return i;
}

// A top-level member written under another name (a server dialect's name for it).
struct member_rename {
    std::string_view from;
    std::string_view to;
};

// Writes JSON text straight from the types, without building a tree first: a request body costs
// its own size once. It also refuses what would make an invalid body (text that is not UTF-8, a
// non-finite number) with a usage_error naming the JSON path. With no string it measures and
// checks; with one it writes, trusting a measure of the same value: so the text is written into
// a buffer of the right size, never reallocated, and checked once.
class text_writer {
public:
    explicit text_writer(std::string* out) noexcept : out_(out) {}

    std::size_t size() const noexcept { return size_; }

    template <class M>
    void write(const M& in) {
        if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, std::string_view>) {
            string(in);
        } else if constexpr (std::is_same_v<M, bool>) {
            literal(in ? "true" : "false");
        } else if constexpr (std::is_same_v<M, std::int64_t>) {
            integer(in);
        } else if constexpr (std::is_same_v<M, double>) {
            number(in);
        } else if constexpr (std::is_same_v<M, float>) {
            short_float(in);
        } else if constexpr (std::is_same_v<M, boost::json::object> ||
                             std::is_same_v<M, boost::json::value>) {
            tree(in);
        } else if constexpr (is_vector<M>::value) {
            append('[');
            for (std::size_t i = 0; i < in.size(); ++i) {
                if (i > 0) append(',');
                path_.push(i);
                write(in[i]);
                path_.pop();
            }
            append(']');
        } else if constexpr (is_string_map<M>::value) {
            append('{');
            bool first = true;
            for (const auto& [key, value] : in) {
                if (!std::exchange(first, false)) append(',');
                string(key);
                append(':');
                path_.push(key);
                write(value);
                path_.pop();
            }
            append('}');
        } else if constexpr (opaque_object<M>) {
            tree(in.json);
        } else if constexpr (described<M>) {
            write_object(&in, layout_of<write_ops<text_writer>, M>(), nullptr);
        } else if constexpr (is_variant<M>::value) {
            if (in.valueless_by_exception()) throw std::bad_variant_access();
            write_alternative(in, [&](const auto& alt) { write(alt); });
        } else {
            static_assert(sizeof(M) == 0, "no JSON conversion for this type");
        }
    }

    // An object; members named in `overrides` are written with the override's value instead,
    // in their place, or after the others when the object does not write them (as
    // boost::json::object::insert_or_assign places them); members named in `renames` are
    // written under their other name.
    void write_object(const void* object, const object_layout<write_ops<text_writer>>& layout,
                      const boost::json::object* overrides,
                      std::span<const member_rename> renames = {}) {
        append('{');
        bool first = true;
        std::size_t overridden = 0;
        auto key = [&](std::string_view name) {
            if (!first) append(',');
            first = false;
            const auto renamed =
                std::find_if(renames.begin(), renames.end(),
                             [&](const member_rename& r) { return r.from == name; });
            string(renamed == renames.end() ? name : renamed->to);
            append(':');
            path_.push(name);
        };
        auto member = [&](std::string_view name, auto&& write_own) {
            key(name);
            const boost::json::value* replaced =
                overrides != nullptr ? overrides->if_contains(name) : nullptr;
            if (replaced == nullptr) {
                write_own();
            } else {
                ++overridden;
                tree(*replaced);
            }
            path_.pop();
        };
        for (const auto& f : layout.fields) {
            const char* m = layout.member(object, f);
            if (f.ops.write == nullptr) {
                member(f.name, [&] { string(f.tag); });
            } else if (f.ops.present == nullptr || f.ops.present(m)) {
                member(f.name, [&] { f.ops.write(*this, m); });
            } else if (f.flags & null_when_unset) {
                member(f.name, [&] { literal("null"); });
            }
        }
        for (const auto& kv : layout.extra_of(object))
            if (!layout.models(kv.key())) member(kv.key(), [&] { tree(kv.value()); });
        if (overrides != nullptr && overridden < overrides->size()) {
            for (const auto& kv : *overrides) {
                if (writes(layout, object, kv.key())) continue;
                key(kv.key());
                tree(kv.value());
                path_.pop();
            }
        }
        append('}');
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        const std::string where = path_.str();
        throw usage_error("cannot send the request: " +
                          (where.empty() ? std::string("body") : where) + ": " + what);
    }

    void append(const char* p, std::size_t n) {
        size_ += n;
        if (out_ != nullptr) out_->append(p, n);
    }
    void append(char c) {
        ++size_;
        if (out_ != nullptr) out_->push_back(c);
    }
    bool checking() const noexcept { return out_ == nullptr; }
    void literal(std::string_view s) { append(s.data(), s.size()); }

    void integer(std::int64_t in) {
        char buffer[24];
        const auto end = std::to_chars(buffer, buffer + sizeof buffer, in).ptr;
        append(buffer, static_cast<std::size_t>(end - buffer));
    }
    void number(double in) {
        if (!std::isfinite(in)) fail("not a finite number");
        tree(boost::json::value(in));
    }
    // The shortest text that reads back as the same float (0.1f is 0.1, not 0.10000000149...).
    void short_float(float in) {
        if (!std::isfinite(in)) fail("not a finite number");
        char buffer[32];
        const auto end = std::to_chars(buffer, buffer + sizeof buffer, in).ptr;
        append(buffer, static_cast<std::size_t>(end - buffer));
    }

    // A JSON string, escaped; runs of characters that need no escape are appended at once.
    void string(std::string_view s) {
        if (const auto at = checking() ? invalid_utf8_at(s) : std::string_view::npos;
            at != std::string_view::npos)
            fail("invalid UTF-8 at byte " + std::to_string(at));
        static constexpr char hex[] = "0123456789abcdef";
        append('"');
        for (std::size_t i = 0;;) {
            const std::size_t run = unescaped_prefix(s.substr(i));
            append(s.data() + i, run);
            i += run;
            if (i == s.size()) break;
            const auto c = static_cast<unsigned char>(s[i++]);
            switch (c) {
                case '"':
                    literal("\\\"");
                    break;
                case '\\':
                    literal("\\\\");
                    break;
                case '\n':
                    literal("\\n");
                    break;
                case '\r':
                    literal("\\r");
                    break;
                case '\t':
                    literal("\\t");
                    break;
                case '\b':
                    literal("\\b");
                    break;
                case '\f':
                    literal("\\f");
                    break;
                default: {
                    const char escape[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                    append(escape, sizeof escape);
                }
            }
        }
        append('"');
    }

    // A Boost.JSON value or object (one the caller passed, a member of extra), checked as
    // strings are, written by Boost.JSON's serializer a piece at a time.
    template <class Tree>
    void tree(const Tree& t) {
        if (checking()) check(t);
        boost::json::serializer sr;
        sr.reset(&t);
        char buffer[1024];
        while (!sr.done()) {
            const auto piece = sr.read(buffer, sizeof buffer);
            append(piece.data(), piece.size());
        }
    }

    void check(const boost::json::object& o) {
        for (const auto& kv : o) {
            if (const auto at = invalid_utf8_at(kv.key()); at != std::string_view::npos)
                fail("invalid UTF-8 at byte " + std::to_string(at) + " of the key \"" +
                     std::string(kv.key().substr(0, at)) + "...\"");
            path_.push(kv.key());
            check(kv.value());
            path_.pop();
        }
    }
    void check(const boost::json::value& v) {
        switch (v.kind()) {
            case boost::json::kind::double_:
                if (!std::isfinite(v.get_double())) fail("not a finite number");
                break;
            case boost::json::kind::string:
                if (const auto at = invalid_utf8_at(v.get_string()); at != std::string_view::npos)
                    fail("invalid UTF-8 at byte " + std::to_string(at));
                break;
            case boost::json::kind::array: {
                std::size_t i = 0;
                for (const auto& item : v.get_array()) {
                    path_.push(i++);
                    check(item);
                    path_.pop();
                }
                break;
            }
            case boost::json::kind::object:
                check(v.get_object());
                break;
            default:
                break;
        }
    }

    std::string* out_;
    std::size_t size_ = 0;
    json_path path_;
};

template <class M>
void write_to(text_writer& out, const M& in) {
    out.write(in);
}

// The JSON text of an object, checked for what the API cannot receive (usage_error), with the
// top-level members of `overrides` in place of its own and those of `renames` under another
// name; measured first, so that the text is written into a buffer of exactly its size (a large
// request is never reallocated).
template <class T>
std::string sendable_json(const T& value, const boost::json::object& overrides = {},
                          std::span<const member_rename> renames = {}) {
    const auto& layout = layout_of<write_ops<text_writer>, T>();
    text_writer measure(nullptr);
    measure.write_object(&value, layout, &overrides, renames);
    std::string out;
    out.reserve(measure.size());
    text_writer(&out).write_object(&value, layout, &overrides, renames);
    return out;
}

}  // namespace detail
MISTRAL_NAMESPACE_END
