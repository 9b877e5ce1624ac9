# poolbench report on committed fixtures (no database; needs gnuplot and /usr/bin/python3).
poolbench_add_cli_test(cli_report SOURCES report_test.cpp TIMEOUT 120)

# index.html in a real browser (Debian's chromium, headless, run as root with --no-sandbox and
# a temporary profile; scripts/install-deps.sh --test installs it): the sizing calculator's
# answers equal `poolbench plan`'s with no JavaScript error, and a screenshot shows ink in
# every chart. Labelled cli-browser (`ctest -L browser` runs just these).
add_test(NAME ReportBrowser.CalculatorAnswersAsPlanDoesWithNoScriptError
  COMMAND /usr/bin/python3 "${CMAKE_CURRENT_SOURCE_DIR}/check_report_calculator.py"
          "$<TARGET_FILE:poolbench>" "${PROJECT_SOURCE_DIR}")
add_test(NAME ReportBrowser.EveryChartShowsDataInAScreenshot
  COMMAND /usr/bin/python3 "${CMAKE_CURRENT_SOURCE_DIR}/check_report_charts.py"
          "$<TARGET_FILE:poolbench>" "${PROJECT_SOURCE_DIR}")
set_tests_properties(ReportBrowser.CalculatorAnswersAsPlanDoesWithNoScriptError
  ReportBrowser.EveryChartShowsDataInAScreenshot PROPERTIES LABELS cli-browser TIMEOUT 300)
