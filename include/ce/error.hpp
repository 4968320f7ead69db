#pragma once
/**
 * @file
 * The root of the book's exception hierarchy, its three reactions, and a printer that
 * shows a chain of nested exceptions the way Python shows `raise ... from ...`.
 *
 * The leaves are split by what a caller does about the failure, not by where it
 * happened: fix the request (ce::usage_error), try again later (ce::transient_error),
 * or give up and report a bug (ce::internal_error). Catch by `const&`, most derived
 * first:
 *
 * @snippet foundations/exceptions.cpp react
 */

#include <ce/type_name.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace ce {

/// Root of every exception the `ce` library throws; derive domain errors from a leaf.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The caller broke a precondition or sent bad input: fix the call, do not retry it.
class usage_error : public error {
public:
    using error::error;
};

/// A resource was briefly unavailable (a timeout, a refused connection): a retry may succeed.
class transient_error : public error {
public:
    using error::error;
};

/// The program broke one of its own invariants: abandon the operation and report a bug.
class internal_error : public error {
public:
    using error::error;
};

namespace detail {

// The dynamic type's readable name. throw_with_nested wraps the thrown type in a
// library-private class template; show the type the program threw instead.
inline std::string exception_type_name(const std::exception& e) {
    std::string name = demangle(typeid(e).name());
    for (std::string_view wrapper : {"std::_Nested_exception<", "std::__1::__nested<", "std::__nested<"}) {
        if (name.starts_with(wrapper) && name.ends_with('>')) {
            name = name.substr(wrapper.size(), name.size() - wrapper.size() - 1);
        }
    }
    return name;
}

inline void collect_chain(const std::exception& e, std::vector<std::string>& links) {
    links.push_back(exception_type_name(e) + ": " + e.what());
    // Not std::rethrow_if_nested: it calls std::terminate for a nested_exception that
    // captured nothing (made outside any handler), which is the end of the chain.
    const auto* nested = dynamic_cast<const std::nested_exception*>(&e);
    if (nested == nullptr || nested->nested_ptr() == nullptr) {
        return;
    }
    try {
        std::rethrow_exception(nested->nested_ptr());
    } catch (const std::exception& cause) {
        collect_chain(cause, links);
    } catch (...) {
        links.emplace_back("<an exception not derived from std::exception>");
    }
}

}  // namespace detail

/**
 * Formats `e` and every exception nested in it by `std::throw_with_nested`, root cause
 * first, as Python prints an exception raised `from` another. Each layer of nesting
 * adds one entry, `type: what()`, with the dynamic type demangled. The chain ends at an
 * exception that is not a `std::nested_exception`, or is one that holds no cause (made
 * outside any handler). Does not throw except `std::bad_alloc`; safe to call from any
 * thread. A chain of three layers:
 *
 * @snippet foundations/exceptions.cpp chain
 */
[[nodiscard]] inline std::string format_exception_chain(const std::exception& e) {
    std::vector<std::string> links;
    detail::collect_chain(e, links);
    std::string out;
    for (auto link = links.rbegin(); link != links.rend(); ++link) {
        if (link != links.rbegin()) {
            out += "\nThe above exception was the direct cause of the following exception:\n\n";
        }
        out += *link;
        out += '\n';
    }
    return out;
}

}  // namespace ce
