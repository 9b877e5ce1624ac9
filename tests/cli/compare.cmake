# poolbench compare on results built from the committed fixtures (no database; needs
# /usr/bin/python3 for the JUnit check).
poolbench_add_cli_test(cli_compare SOURCES compare_test.cpp TIMEOUT 120)
