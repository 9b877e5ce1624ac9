# docker-compose.yml is generated from scenarios/profiles/*.conf (scripts/gen-compose.py):
# parsed with python3-yaml and compared with every profile. No Docker needed, nor the binary.
add_test(NAME compose_file_matches_profiles
  COMMAND /usr/bin/python3 "${CMAKE_CURRENT_SOURCE_DIR}/compose_test.py"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(compose_file_matches_profiles PROPERTIES TIMEOUT 60 LABELS cli)
