"""The Python idiom that testing/coverage.cpp replaces, run by the build.

The region is what the page shows: coverage.py measuring the branches a test reached.
The checks below it make the build fail if coverage.py ever stops reporting what the
page says. Nothing is written to the tree: the data stays in memory (data_file=None).
"""

import inspect
import json
import tempfile

import coverage


# [python-idiom]
def free_shipping(cents, member):
    if member:
        return True
    return cents >= 5000


def free_shipping_one_line(cents, member):
    return member or cents >= 5000


def partial_branches(function, calls):
    """Branches of `function` that `calls` never took, as [from line, to line] pairs."""
    cov = coverage.Coverage(branch=True, data_file=None)
    cov.start()
    for args in calls:
        function(*args)
    cov.stop()
    with tempfile.TemporaryDirectory() as folder:  # the JSON report, as `coverage json` writes it
        cov.json_report(outfile=f"{folder}/coverage.json", include=[__file__])
        with open(f"{folder}/coverage.json") as report:
            missing = next(iter(json.load(report)["files"].values()))["missing_branches"]
    body = range(function.__code__.co_firstlineno + 1, function.__code__.co_firstlineno + 3)
    return [arc for arc in missing if arc[0] in body]


print(partial_branches(free_shipping, [(1000, True)]))           # [[17, 19]]
print(partial_branches(free_shipping_one_line, [(1000, True)]))  # []: nothing to see
# [python-idiom]

line = inspect.getsourcelines(free_shipping)[1]
# One call with a member: `if member:` never jumped to `return cents >= 5000`.
assert line == 16, "the comments in the region name lines 17 and 19: update them"
assert partial_branches(free_shipping, [(1000, True)]) == [[line + 1, line + 3]]
# Both outcomes of the `if`: nothing missing.
assert partial_branches(free_shipping, [(1000, True), (1000, False)]) == []
# The one-line `or` has no jump between lines to miss: coverage.py reports nothing,
# although `cents >= 5000` never ran. This is the difference the page draws with gcov.
assert partial_branches(free_shipping_one_line, [(1000, True)]) == []
