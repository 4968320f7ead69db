#pragma once
/**
 * @file
 * Semantic versions as SemVer 2.0.0 defines them (https://semver.org/spec/v2.0.0.html):
 * `MAJOR.MINOR.PATCH`, an optional pre-release after `-` and optional build metadata
 * after `+`, parsed strictly and ordered by the specification's precedence rules.
 *
 * Python's `packaging.version.Version` implements PEP 440, a different scheme: it
 * normalises `1.0.0-alpha` to `1.0.0a0`, accepts `v1.2` and `01.2.3`, rejects most
 * SemVer pre-releases (`1.0.0-x.7.z.92`) and orders by build metadata. ce::semver
 * accepts exactly the strings SemVer allows and nothing else, so a version is either
 * valid or an exception that names the string, the offset and the broken rule.
 *
 * @snippet packaging/semantic_versioning.cpp parse
 *
 * Precedence ignores build metadata, as the specification requires: `operator<=>`
 * returns `std::weak_ordering`, and `operator==` agrees with it, so `1.0.0+a == 1.0.0+b`.
 * semver::identical_to() compares every character, build metadata included.
 */

#include <ce/error.hpp>

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ce {

/**
 * A string that is not a semantic version. what() names the string (bytes outside
 * printable ASCII written as `\xNN`), the offset of the first byte that breaks a rule,
 * and the rule:
 * `invalid semantic version "1.2.3-01": offset 6: numeric pre-release identifier with a leading zero`.
 * A usage_error: the input is wrong, and retrying it cannot help.
 */
class semver_error : public usage_error {
public:
    /// An error about `input`, whose first offending byte is at `offset` (0-based;
    /// `input.size()` when the string ended too early), breaking `rule`.
    semver_error(std::string_view input, std::size_t offset, std::string_view rule)
        : usage_error(message(input, offset, rule)), input_(input), offset_(offset) {}

    /// The rejected string, unescaped.
    [[nodiscard]] const std::string& input() const noexcept { return input_; }
    /// The 0-based offset of the first byte that breaks a rule.
    [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

private:
    static std::string message(std::string_view input, std::size_t offset, std::string_view rule) {
        std::string out = "invalid semantic version \"";
        for (const char c : input) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte >= 0x20 && byte < 0x7F && c != '"' && c != '\\') {
                out += c;
            } else {
                constexpr std::string_view hex = "0123456789ABCDEF";
                out += "\\x";
                out += hex[byte >> 4U];
                out += hex[byte & 0xFU];
            }
        }
        out += "\": offset ";
        out += std::to_string(offset);
        out += ": ";
        out += rule;
        return out;
    }

    std::string input_;
    std::size_t offset_;
};

namespace detail {

struct semver_failure {
    std::size_t offset = 0;
    std::string rule;
};

// How the character at the parser's position reads in a rule: 'x', byte 0xC3, the end.
inline std::string describe_at(std::string_view text, std::size_t at) {
    if (at == text.size()) {
        return "the end";
    }
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte >= 0x20 && byte < 0x7F) {
        return std::string{'\'', text[at], '\''};
    }
    constexpr std::string_view hex = "0123456789ABCDEF";
    return std::string("byte 0x") + hex[byte >> 4U] + hex[byte & 0xFU];
}

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

inline bool is_identifier_char(char c) noexcept {
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
}

inline bool is_numeric(std::string_view identifier) noexcept {
    return std::all_of(identifier.begin(), identifier.end(), is_digit);
}

// One of MAJOR, MINOR, PATCH at `at`: digits without a leading zero that fit in 64 bits.
inline std::optional<semver_failure> parse_number(std::string_view text, std::size_t& at, std::string_view what,
                                                  std::uint64_t& value) {
    if (at == text.size() || !is_digit(text[at])) {
        return semver_failure{at, "expected the " + std::string(what) + ", found " + describe_at(text, at)};
    }
    if (text[at] == '0' && at + 1 < text.size() && is_digit(text[at + 1])) {
        return semver_failure{at, "leading zero in the " + std::string(what)};
    }
    value = 0;
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    for (; at < text.size() && is_digit(text[at]); ++at) {
        const auto digit = static_cast<std::uint64_t>(text[at] - '0');
        if (value > (max - digit) / 10) {
            return semver_failure{at, "the " + std::string(what) + " exceeds " + std::to_string(max)};
        }
        value = value * 10 + digit;
    }
    return std::nullopt;
}

// Dot-separated identifiers from `at` up to the end or, for a pre-release, a '+'.
inline std::optional<semver_failure> parse_identifiers(std::string_view text, std::size_t& at, bool pre_release) {
    const std::string_view kind = pre_release ? "pre-release" : "build";
    while (true) {
        const std::size_t start = at;
        while (at < text.size() && is_identifier_char(text[at])) {
            ++at;
        }
        const std::string_view identifier = text.substr(start, at - start);
        if (identifier.empty() && (at == text.size() || text[at] == '.' || text[at] == '+')) {
            return semver_failure{at, "empty " + std::string(kind) + " identifier"};
        }
        if (at < text.size() && text[at] != '.' && !(pre_release && text[at] == '+')) {
            return semver_failure{at, describe_at(text, at) + " in a " + std::string(kind) +
                                          " identifier, which allows only [0-9A-Za-z-]"};
        }
        if (pre_release && identifier.size() > 1 && identifier.front() == '0' && is_numeric(identifier)) {
            return semver_failure{start, "numeric pre-release identifier with a leading zero"};
        }
        if (at == text.size() || text[at] == '+') {
            return std::nullopt;
        }
        ++at;  // the '.'
    }
}

// Pre-release precedence, SemVer 2.0.0 item 11.4: identifier by identifier, numeric ones
// by value (without leading zeros, a longer digit string is a larger number, so no
// identifier can overflow), numeric before alphanumeric, alphanumeric in ASCII order,
// and a longer list after its own prefix.
inline std::weak_ordering compare_pre_release(std::string_view a, std::string_view b) noexcept {
    while (true) {
        const std::string_view x = a.substr(0, a.find('.'));
        const std::string_view y = b.substr(0, b.find('.'));
        const bool x_numeric = is_numeric(x);
        const bool y_numeric = is_numeric(y);
        std::weak_ordering order = std::weak_ordering::equivalent;
        if (x_numeric && y_numeric) {
            order = x.size() != y.size() ? x.size() <=> y.size() : x.compare(y) <=> 0;
        } else if (x_numeric != y_numeric) {
            order = x_numeric ? std::weak_ordering::less : std::weak_ordering::greater;
        } else {
            order = x.compare(y) <=> 0;
        }
        if (order != 0) {
            return order;
        }
        const bool a_more = x.size() < a.size();
        const bool b_more = y.size() < b.size();
        if (!a_more || !b_more) {
            return a_more <=> b_more;
        }
        a.remove_prefix(x.size() + 1);
        b.remove_prefix(y.size() + 1);
    }
}

}  // namespace detail

/**
 * A valid SemVer 2.0.0 version: every object of this class is one, because the only
 * ways to make one, parse(), try_parse() and the constructor, check every rule of the
 * specification. `MAJOR`, `MINOR` and `PATCH` must fit in `std::uint64_t`; pre-release
 * and build identifiers have no length limit (numeric pre-release identifiers compare
 * by value however long they are).
 *
 * Ordering is SemVer precedence, which ignores build metadata. `operator<=>` returns
 * `std::weak_ordering`: two versions that differ only in build metadata are equivalent
 * (`==` is true, as `std::totally_ordered` requires of a consistent `==`) but not
 * identical (identical_to() is false, and to_string() differs).
 *
 * A value type: copyable, movable, immutable after construction; safe to share
 * between threads for reading.
 */
class semver {
public:
    /**
     * The version `major.minor.patch`, with the optional `pre_release` identifiers
     * (the text after `-`, e.g. `"rc.1"`) and `build` metadata (after `+`).
     * @throws semver_error if `pre_release` or `build` breaks a rule; the message names
     *         the whole version string, e.g. `"1.2.3-01"`.
     */
    explicit semver(std::uint64_t major, std::uint64_t minor, std::uint64_t patch, std::string_view pre_release = {},
                    std::string_view build = {})
        : major_(major), minor_(minor), patch_(patch), pre_release_(pre_release), build_(build) {
        const std::string text = to_string();
        // parse() would end the pre-release at a '+' and read the rest as build metadata.
        if (const auto plus = pre_release_.find('+'); plus != std::string::npos) {
            throw semver_error(text, text.find('-') + 1 + plus,
                               "'+' in a pre-release identifier, which allows only [0-9A-Za-z-]");
        }
        if (auto failure = semver().read(text)) {
            throw semver_error(text, failure->offset, failure->rule);
        }
    }

    /**
     * The version `text` spells, which must be exactly a SemVer 2.0.0 version: no
     * leading `v`, no surrounding spaces, no missing component.
     * @throws semver_error naming `text`, the offset of the first offending byte and
     *         the rule it breaks.
     */
    [[nodiscard]] static semver parse(std::string_view text) {
        semver version;
        if (auto failure = version.read(text)) {
            throw semver_error(text, failure->offset, failure->rule);
        }
        return version;
    }

    /// The version `text` spells, or no value if parse() would throw: for inputs where a
    /// non-version is expected, such as the tags of a repository. Throws only `std::bad_alloc`.
    [[nodiscard]] static std::optional<semver> try_parse(std::string_view text) {
        semver version;
        if (version.read(text)) {
            return std::nullopt;
        }
        return version;
    }

    /// The MAJOR version: incremented for changes that break the public API.
    [[nodiscard]] std::uint64_t major() const noexcept { return major_; }
    /// The MINOR version: incremented for backward compatible additions.
    [[nodiscard]] std::uint64_t minor() const noexcept { return minor_; }
    /// The PATCH version: incremented for backward compatible bug fixes.
    [[nodiscard]] std::uint64_t patch() const noexcept { return patch_; }
    /// The pre-release identifiers without the `-` (`"alpha.1"`); empty for a release.
    [[nodiscard]] std::string_view pre_release() const noexcept { return pre_release_; }
    /// The build metadata without the `+`; empty if there is none. Kept, never compared.
    [[nodiscard]] std::string_view build() const noexcept { return build_; }
    /// Whether this is a pre-release, which has lower precedence than its release.
    [[nodiscard]] bool is_pre_release() const noexcept { return !pre_release_.empty(); }

    /// The version as SemVer spells it; parse(to_string()) is identical_to() `*this`.
    [[nodiscard]] std::string to_string() const {
        std::string out = std::to_string(major_) + '.' + std::to_string(minor_) + '.' + std::to_string(patch_);
        if (!pre_release_.empty()) {
            out += '-';
            out += pre_release_;
        }
        if (!build_.empty()) {
            out += '+';
            out += build_;
        }
        return out;
    }

    /// Same version and the same build metadata, character for character.
    [[nodiscard]] bool identical_to(const semver& other) const noexcept {
        return *this == other && build_ == other.build_;
    }

    /**
     * Whether this version can stand in for `required`, by the specification's meaning
     * of the numbers: the same MAJOR and at least the same precedence. Two exceptions
     * make it stricter: under MAJOR 0 anything may change (item 4), so only a version of
     * equal precedence is compatible; and a pre-release may not keep its release's
     * promises (item 9), so it is compatible only with a `required` pre-release of the
     * same `MAJOR.MINOR.PATCH`.
     */
    [[nodiscard]] bool compatible_with(const semver& required) const noexcept {
        if (major_ != required.major_ || *this < required) {
            return false;
        }
        if (major_ == 0) {
            return *this == required;
        }
        return !is_pre_release() || (required.is_pre_release() && minor_ == required.minor_ &&
                                     patch_ == required.patch_);
    }

    /// SemVer precedence (item 11): MAJOR, MINOR, PATCH numerically, then a pre-release
    /// before its release, then the pre-release identifiers; build metadata ignored.
    friend std::weak_ordering operator<=>(const semver& a, const semver& b) noexcept {
        for (const auto& [x, y] : {std::pair{a.major_, b.major_}, std::pair{a.minor_, b.minor_},
                                   std::pair{a.patch_, b.patch_}}) {
            if (x != y) {
                return x <=> y;
            }
        }
        if (a.pre_release_.empty() || b.pre_release_.empty()) {
            return a.pre_release_.empty() <=> b.pre_release_.empty();  // a release comes after
        }
        return detail::compare_pre_release(a.pre_release_, b.pre_release_);
    }

    /// Equal precedence: build metadata ignored, consistent with `<=>`.
    friend bool operator==(const semver& a, const semver& b) noexcept { return (a <=> b) == 0; }

private:
    semver() = default;

    // Reads all of `text` into *this; the first broken rule, if any.
    std::optional<detail::semver_failure> read(std::string_view text) {
        std::size_t at = 0;
        if (auto failure = detail::parse_number(text, at, "major version", major_)) {
            return failure;
        }
        for (auto [what, value] : {std::pair{"minor version", &minor_}, std::pair{"patch version", &patch_}}) {
            if (at == text.size() || text[at] != '.') {
                return detail::semver_failure{at, std::string("expected '.' before the ") + what + ", found " +
                                                      detail::describe_at(text, at)};
            }
            ++at;
            if (auto failure = detail::parse_number(text, at, what, *value)) {
                return failure;
            }
        }
        if (at < text.size() && text[at] == '-') {
            const std::size_t pre_release_start = ++at;
            if (auto failure = detail::parse_identifiers(text, at, true)) {
                return failure;
            }
            pre_release_.assign(text.substr(pre_release_start, at - pre_release_start));
        }
        if (at < text.size() && text[at] == '+') {
            const std::size_t build_start = ++at;
            if (auto failure = detail::parse_identifiers(text, at, false)) {
                return failure;
            }
            build_.assign(text.substr(build_start));
        }
        if (at < text.size()) {
            return detail::semver_failure{at, "expected '-', '+' or the end after the patch version, found " +
                                                  detail::describe_at(text, at)};
        }
        return std::nullopt;
    }

    std::uint64_t major_ = 0;
    std::uint64_t minor_ = 0;
    std::uint64_t patch_ = 0;
    std::string pre_release_;
    std::string build_;
};

}  // namespace ce
