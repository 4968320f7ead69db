#pragma once
#include <string_view>
int count_fields(std::string_view line, char separator);
