#include "pg/masking.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolbench::pg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MaskDsn, MaskedUrlHidesThePassword) {
  EXPECT_EQ(mask_dsn("postgresql://appuser:devpass@localhost:5433/appdb"),
            "postgresql://appuser:****@localhost:5433/appdb");
}

TEST(MaskDsn, MasksEverySeedUrlForm) {
  EXPECT_EQ(mask_dsn("postgresql+asyncpg://user:password@postgres:5432/app_db"),
            "postgresql+asyncpg://user:****@postgres:5432/app_db");
  EXPECT_EQ(mask_dsn("postgresql+psycopg2://u:s3cret@h/db?sslmode=require"),
            "postgresql+psycopg2://u:****@h/db?sslmode=require");
  EXPECT_EQ(mask_dsn("postgres://u:s3cret@h/db"), "postgres://u:****@h/db");
  EXPECT_EQ(mask_dsn("postgresql://u:s3cret@h/db?pool_size=10&max_overflow=5"),
            "postgresql://u:****@h/db?pool_size=10&max_overflow=5");
  EXPECT_EQ(mask_dsn("mysql://root:hunter2@db/x"), "mysql://root:****@db/x");
}

TEST(MaskDsn, LeavesUrlsWithoutPasswordAlone) {
  EXPECT_EQ(mask_dsn("postgresql://appuser@localhost/appdb"),
            "postgresql://appuser@localhost/appdb");
  EXPECT_EQ(mask_dsn("postgresql://localhost"), "postgresql://localhost");
  EXPECT_EQ(mask_dsn("postgresql://u:@h/db"), "postgresql://u:@h/db");
  EXPECT_EQ(mask_dsn("sqlite:///./database.db"), "sqlite:///./database.db");
}

TEST(MaskDsn, MasksPasswordQueryParameters) {
  EXPECT_EQ(mask_dsn("postgresql://h/db?user=u&password=s3cret&sslmode=require"),
            "postgresql://h/db?user=u&password=****&sslmode=require");
  EXPECT_EQ(mask_dsn("postgresql://h/db?sslpassword=keypass"),
            "postgresql://h/db?sslpassword=****");
}

TEST(MaskDsn, MasksUnencodedSpecialCharactersInPasswords) {
  const std::string masked = mask_dsn("postgresql://u:p@ss:w/rd@h:5432/db");
  EXPECT_THAT(masked, Not(HasSubstr("ss:w")));
  EXPECT_THAT(masked, HasSubstr("****"));
  EXPECT_EQ(mask_dsn("postgresql://u:p%40ss@h/db"), "postgresql://u:****@h/db");
}

TEST(MaskDsn, MasksKeyValueStrings) {
  EXPECT_EQ(mask_dsn("host=h password=s3cret dbname=db"), "host=h password=**** dbname=db");
  EXPECT_EQ(mask_dsn("host=h password = 's3 cr\\'et' dbname=db"),
            "host=h password = **** dbname=db");
  EXPECT_EQ(mask_dsn("PASSWORD=x user=u"), "PASSWORD=**** user=u");
  EXPECT_EQ(mask_dsn("host=h passfile=/tmp/pgpass"), "host=h passfile=/tmp/pgpass");
  EXPECT_EQ(mask_dsn("user=u sslpassword=k"), "user=u sslpassword=****");
}

TEST(MaskDsn, IgnoresPasswordWordsThatAreNotKeywords) {
  EXPECT_EQ(mask_dsn("password authentication failed for user"),
            "password authentication failed for user");
  EXPECT_EQ(mask_dsn("mypassword=x"), "mypassword=x");
}

TEST(MaskSecret, MasksPlainAndPercentEncodedOccurrences) {
  EXPECT_EQ(mask_secret("a p@ss b p%40ss c", "p@ss"), "a **** b **** c");
  EXPECT_EQ(mask_secret("nothing here", ""), "nothing here");
  EXPECT_EQ(mask_secret("s3cret s3cret", "s3cret"), "**** ****");
}

TEST(MaskMessage, MasksUrlsInsideTextAndThePasswordOfTheConninfo) {
  const std::string message =
      mask_message("could not connect to postgresql://u:s3cret@h/db: FATAL: bad password s3cret",
                   "postgresql://u:s3cret@h/db");
  EXPECT_THAT(message, Not(HasSubstr("s3cret")));
  EXPECT_THAT(message, HasSubstr("postgresql://u:****@h/db"));
}

TEST(MaskMessage, MasksSecretsOfStringsLibpqCannotParse) {
  const std::string message =
      mask_message("invalid percent-encoded token: \"pa%zzss\"", "postgresql://u:pa%zzss@h/db");
  EXPECT_THAT(message, Not(HasSubstr("pa%zzss")));
}

// Found by fuzz_dsn: masking each secret in turn re-masked the mask, so with passwords made
// of asterisks the message grew fourfold per secret (a hang on a DSN libpq rejects).
TEST(MaskMessage, SecretsThatArePartOfTheMaskDoNotGrowTheMessage) {
  std::string conninfo = "host=h";
  for (int i = 0; i < 40; ++i) conninfo += " password=*&x" + std::string(i % 3 + 1, '*');
  const std::string message = mask_message("bad token \"*\" near **", conninfo);
  EXPECT_LT(message.size(), 64u) << message;
  EXPECT_EQ(mask_secret("a * b", "*"), "a **** b");
  EXPECT_EQ(mask_secret("ab abc", "abc"), "ab ****");
}

TEST(PasswordOf, ReturnsWhatLibpqDecodes) {
  EXPECT_EQ(password_of("postgresql://u:p%40ss@h/db"), "p@ss");
  EXPECT_EQ(password_of("host=h password='a b'"), "a b");
  EXPECT_EQ(password_of("postgresql://u@h/db"), std::nullopt);
  EXPECT_EQ(password_of("not a conninfo"), std::nullopt);
}

TEST(SecretsInDsn, FindsRawAndDecodedForms) {
  const std::vector<std::string> secrets = secrets_in_dsn("postgresql://u:p%40ss@h/db");
  EXPECT_THAT(secrets, ::testing::UnorderedElementsAre("p%40ss", "p@ss"));
  EXPECT_THAT(secrets_in_dsn("password='x y' host=h"), ::testing::ElementsAre("x y"));
}

}  // namespace
}  // namespace poolbench::pg
