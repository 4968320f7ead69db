// Someone else's code, as it was released: it builds with their flags, not with yours.
#include "csv.hpp"

int count_fields(std::string_view line, char separator) {
    int fields = 1;
    for (char c : line) {
        if (c == ',') {  // the separator parameter was never used
            ++fields;
        }
    }
    return fields;
}
