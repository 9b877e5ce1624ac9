#include "pg/handles.hpp"

#include <libpq-fe.h>

namespace poolbench::pg {

void silence_notices(pg_conn* conn) noexcept {
  if (conn != nullptr)
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
}

void ConnCloser::operator()(pg_conn* conn) const noexcept {
  PQfinish(conn);
}
void ResultClearer::operator()(pg_result* result) const noexcept {
  PQclear(result);
}
void CancelFreer::operator()(pg_cancel* cancel) const noexcept {
  PQfreeCancel(cancel);
}

}  // namespace poolbench::pg
