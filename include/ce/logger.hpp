#pragma once
/**
 * @file
 * Structured logging: an event is a constant message plus key–value fields, rendered
 * as one JSON object per line or as logfmt (see ce::log_format) and handed to a
 * ce::log_sink.
 *
 * Context is bound two ways. logger::bind() returns a child logger that adds fields
 * to every record it writes (structlog's `log.bind(...)`); a ce::log_scope adds
 * fields to every record the *current thread* writes while it lives (structlog's
 * `bound_contextvars`). Use the `CE_LOG_*` macros on hot paths: they test the level
 * before evaluating any argument. Each event becomes one line such as
 * `{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"user logged in",`
 * `"src":"login.cpp:50","user":"ann","attempt":2}`:
 *
 * @snippet foundations/logging.cpp first-event
 *
 * Context bound to a child logger:
 *
 * @snippet foundations/logging.cpp bind
 */

#include <ce/error.hpp>
#include <ce/log_format.hpp>
#include <ce/log_sink.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>

namespace ce {

/// Severity of an event, least to most severe; `off` is only a threshold.
enum class log_level : std::uint8_t {
    trace,     ///< Step-by-step detail, usually off in production.
    debug,     ///< Diagnostic detail for developers.
    info,      ///< Normal operation worth recording.
    warn,      ///< Something unexpected that the program handled.
    error,     ///< An operation failed.
    critical,  ///< The program cannot continue as it is.
    off,       ///< As a threshold: log nothing.
};

/// The clock a logger stamps records with; an empty function means `system_clock::now`.
using log_clock = std::function<std::chrono::system_clock::time_point()>;

/// How a ce::logger is configured; designated initializers read best:
/// `ce::logger log{sink, {.format = ce::log_format::logfmt, .level = ce::log_level::debug}}`.
struct logger_options {
    log_format format = log_format::json;  ///< How records are rendered.
    log_level level = log_level::info;     ///< The threshold: lower levels are discarded.
    log_clock clock = {};                  ///< Injected time source; tests pass a fixed one.
    bool source = true;                    ///< Add `"src":"file.cpp:line"` from the call site.
};

/**
 * An event's message and the place it was logged from. It converts implicitly from a
 * string, capturing the caller's `std::source_location` in a default argument, so
 * `log.info("started")` knows its file and line. It is a view: it lives as long as
 * the call.
 */
struct log_message {
    /// Captures `text` and, by default, the location of the call that converts it.
    template <std::convertible_to<std::string_view> String>
    log_message(const String& message,  // implicit on purpose: log.info("text") must convert
                std::source_location location = std::source_location::current())
        : text(message), where(location) {}

    std::string_view text;       ///< The constant message, without interpolated data.
    std::source_location where;  ///< The call site.
};

namespace detail {

// A record's `level` value; the names follow log_level's order.
inline std::string_view level_name(std::size_t level) noexcept {
    constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    return names[level];
}

// The fields of the ce::log_scope objects alive on this thread, rendered once in each
// format when the scope opens; a scope's destructor truncates back to its start.
struct scope_context {
    std::string json;
    std::string logfmt;
    [[nodiscard]] std::string_view text(log_format format) const noexcept {
        return format == log_format::json ? json : logfmt;
    }
};

inline scope_context& thread_context() noexcept {
    thread_local scope_context context;
    return context;
}

// What a logger shares with its copies and children.
struct logger_core {
    logger_core(std::shared_ptr<log_sink> s, logger_options options)
        : sink(std::move(s)), clock(std::move(options.clock)), level(options.level),
          format(options.format), source(options.source) {}

    std::shared_ptr<log_sink> sink;
    log_clock clock;
    std::atomic<log_level> level;
    log_format format;
    bool source;
};

}  // namespace detail

/**
 * Adds key–value fields to every record the current thread writes while the scope
 * lives, whichever logger writes it; other threads never see them. Scopes nest and
 * must end in reverse order on the thread that made them, which a local variable
 * guarantees, so the type can be neither copied nor moved. Do not keep one across a
 * coroutine suspension: the coroutine may resume on another thread. Here `charge`
 * logs through a logger that knows nothing of the request:
 *
 * @snippet foundations/logging.cpp log-scope
 */
class log_scope {
public:
    /// Pushes `fields` (key, value, key, value, ...) onto this thread's context.
    template <typename... Fields>
    [[nodiscard]] explicit log_scope(const Fields&... fields) {
        static_assert(sizeof...(Fields) > 0 && sizeof...(Fields) % 2 == 0,
                      "ce::log_scope: fields come in key, value pairs");
        detail::log_buffer json;
        detail::log_buffer logfmt;
        detail::write_fields(json, log_format::json, fields...);
        detail::write_fields(logfmt, log_format::logfmt, fields...);
        auto& context = detail::thread_context();
        json_size_ = context.json.size();
        logfmt_size_ = context.logfmt.size();
        context.json.append(json.data(), json.size());
        try {
            context.logfmt.append(logfmt.data(), logfmt.size());
        } catch (...) {
            context.json.resize(json_size_);
            throw;
        }
    }

    /// Pops this scope's fields.
    ~log_scope() {
        auto& context = detail::thread_context();
        context.json.resize(json_size_);
        context.logfmt.resize(logfmt_size_);
    }

    log_scope(const log_scope&) = delete;             ///< Bound to one thread's stack.
    log_scope& operator=(const log_scope&) = delete;  ///< Bound to one thread's stack.
    log_scope(log_scope&&) = delete;                  ///< Bound to one thread's stack.
    log_scope& operator=(log_scope&&) = delete;       ///< Bound to one thread's stack.

private:
    std::size_t json_size_ = 0;
    std::size_t logfmt_size_ = 0;
};

/**
 * A handle that renders events and writes them to a sink. Copies and children made by
 * bind() share the sink, the options and the level, so set_level() affects them all.
 * A logger is immutable apart from its level: share it between threads freely.
 *
 * Fields are `key, value` pairs after the message. Keys are strings; values may be
 * `bool`, integers, floating point (non-finite values become the strings `"nan"`,
 * `"inf"`, `"-inf"` in JSON, and so does a `long double` beyond `double`'s range, as
 * its digits: JSON readers hold numbers in doubles), strings, `nullptr`, `std::optional` of those, or any type
 * with a `fmt::formatter` (rendered as a string). Strings are escaped so that every
 * JSON line parses; ill-formed UTF-8 becomes U+FFFD. Fields appear in order: bound,
 * then scoped, then the call's; a repeated key is written again, not merged.
 *
 * Formatting happens on the calling thread into a stack buffer: a record shorter than
 * about 500 bytes allocates nothing. Logging throws only what the sink throws (or
 * `std::bad_alloc`). A moved-from logger may only be assigned to or destroyed.
 */
class logger {
public:
    /// Writes to `sink` as `options` say. @throws ce::usage_error when `sink` is null.
    explicit logger(std::shared_ptr<log_sink> sink, logger_options options = {})
        : core_(std::make_shared<detail::logger_core>(std::move(sink), std::move(options))) {
        if (!core_->sink) {
            throw usage_error("ce::logger needs a sink");
        }
    }

    /// True when a record at `level` would be written. Thread-safe, lock-free.
    [[nodiscard]] bool enabled(log_level level) const noexcept {
        return level != log_level::off && level >= core_->level.load(std::memory_order_relaxed);
    }
    /// The current threshold.
    [[nodiscard]] log_level level() const noexcept { return core_->level.load(std::memory_order_relaxed); }
    /// Changes the threshold of this logger, its copies and children. Thread-safe.
    void set_level(log_level level) noexcept { core_->level.store(level, std::memory_order_relaxed); }

    /// A child logger that adds `fields` (key, value, ...) to every record it writes.
    template <typename... Fields>
    [[nodiscard]] logger bind(const Fields&... fields) const {
        static_assert(sizeof...(Fields) % 2 == 0, "ce::logger::bind: fields come in key, value pairs");
        detail::log_buffer out;
        detail::append(out, context());
        detail::write_fields(out, core_->format, fields...);
        return logger(core_, std::make_shared<const std::string>(out.data(), out.size()));
    }

    /// A child logger with the calling thread's ce::log_scope fields bound, to hand to
    /// another thread, where the scope itself is invisible.
    [[nodiscard]] logger bind_scope() const {
        std::string bound(context());
        bound += detail::thread_context().text(core_->format);
        return logger(core_, std::make_shared<const std::string>(std::move(bound)));
    }

    /**
     * Writes one record when `level` is enabled. Being a function call, it evaluates
     * every argument even when the level is disabled; CE_LOG() does not.
     */
    template <typename... Fields>
    void log(log_level level, log_message message, const Fields&... fields) const {
        static_assert(sizeof...(Fields) % 2 == 0, "ce::logger: fields come in key, value pairs");
        if (!enabled(level)) {
            return;
        }
        const detail::logger_core& core = *core_;
        detail::log_buffer out;  // inline storage: no allocation for an ordinary record
        detail::begin_record(out, core.format, core.clock ? core.clock() : std::chrono::system_clock::now(),
                             detail::level_name(static_cast<std::size_t>(level)), message.text,
                             core.source ? &message.where : nullptr);
        detail::append(out, context());
        detail::append(out, detail::thread_context().text(core.format));
        detail::write_fields(out, core.format, fields...);
        detail::end_record(out, core.format);
        core.sink->write(std::string_view(out.data(), out.size()));
    }

    /// log() at log_level::trace.
    template <typename... Fields>
    void trace(log_message message, const Fields&... fields) const { log(log_level::trace, message, fields...); }
    /// log() at log_level::debug.
    template <typename... Fields>
    void debug(log_message message, const Fields&... fields) const { log(log_level::debug, message, fields...); }
    /// log() at log_level::info.
    template <typename... Fields>
    void info(log_message message, const Fields&... fields) const { log(log_level::info, message, fields...); }
    /// log() at log_level::warn.
    template <typename... Fields>
    void warn(log_message message, const Fields&... fields) const { log(log_level::warn, message, fields...); }
    /// log() at log_level::error.
    template <typename... Fields>
    void error(log_message message, const Fields&... fields) const { log(log_level::error, message, fields...); }
    /// log() at log_level::critical.
    template <typename... Fields>
    void critical(log_message message, const Fields&... fields) const { log(log_level::critical, message, fields...); }

    /// Flushes the sink (for a ce::async_sink: waits until the queue is written).
    void flush() const { core_->sink->flush(); }

private:
    logger(std::shared_ptr<detail::logger_core> core, std::shared_ptr<const std::string> context) noexcept
        : core_(std::move(core)), context_(std::move(context)) {}

    [[nodiscard]] std::string_view context() const noexcept {
        return context_ ? std::string_view(*context_) : std::string_view();
    }

    std::shared_ptr<detail::logger_core> core_;
    std::shared_ptr<const std::string> context_;  // bound fields, already rendered
};

}  // namespace ce

/// Logs at `level` only if `logger_expr` has it enabled; otherwise no argument is
/// evaluated: `CE_LOG(log, ce::log_level::warn, "disk low", "free_mb", free_mb())`.
/// `logger_expr` and `level` are evaluated exactly once each, before the test.
#define CE_LOG(logger_expr, level, ...)                                                   \
    do {                                                                                  \
        const ::ce::logger& ce_log_logger_ = (logger_expr);                               \
        if (const ::ce::log_level ce_log_level_ = (level); ce_log_logger_.enabled(ce_log_level_)) { \
            ce_log_logger_.log(ce_log_level_, __VA_ARGS__);                               \
        }                                                                                 \
    } while (false)

#define CE_LOG_TRACE(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::trace, __VA_ARGS__)        ///< CE_LOG at trace.
#define CE_LOG_DEBUG(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::debug, __VA_ARGS__)        ///< CE_LOG at debug.
#define CE_LOG_INFO(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::info, __VA_ARGS__)          ///< CE_LOG at info.
#define CE_LOG_WARN(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::warn, __VA_ARGS__)          ///< CE_LOG at warn.
#define CE_LOG_ERROR(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::error, __VA_ARGS__)        ///< CE_LOG at error.
#define CE_LOG_CRITICAL(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::critical, __VA_ARGS__)  ///< CE_LOG at critical.
