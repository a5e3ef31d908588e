/* Identifier syntax and kana folding (common/ids). */
#include <string.h>

#include "common/ids.h"
#include "tests/lib/testlib.h"

static void test_contract_id(void)
{
	struct otp_err err;
	static const struct {
		const char *id;
		int ok;
		const char *msg;
	} cases[] = {
		{ "0120000001", 1, "" },
		{ "9999999999", 1, "" },
		{ "", 0, "empty" },
		{ "012000000", 0, "not 9" },
		{ "01200000011", 0, "not 11" },
		{ "01200A0001", 0, "'A' at position 6" },
		{ " 0120000001", 0, "' ' at position 1" },
		{ "０１２００００００１", 0, "10 digits" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		otp_err_clear(&err);
		int rc = otp_contract_id_check(cases[i].id, &err);
		CU_ASSERT_EQUAL(rc == 0, cases[i].ok);
		if (!cases[i].ok) {
			CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
			CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[i].msg));
		}
	}
	CU_ASSERT_EQUAL(otp_contract_id_check(NULL, &err), -1);
}

static void test_kana_fold(void)
{
	struct otp_err err;
	char out[128];
	CU_ASSERT_EQUAL(otp_kana_fold("やまだ たろう", out, sizeof out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "ヤマダタロウ");
	CU_ASSERT_EQUAL(otp_kana_fold("ヤマダ　ハナコ", out, sizeof out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "ヤマダハナコ");
	CU_ASSERT_EQUAL(otp_kana_fold("ゔぁ", out, sizeof out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "ヴァ");
	CU_ASSERT_EQUAL(otp_kana_fold("abc", out, sizeof out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "abc");
	CU_ASSERT_EQUAL(otp_kana_fold("\xff\xfe", out, sizeof out, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_USAGE);
	CU_ASSERT_EQUAL(otp_kana_fold("\xe3\x81", out, sizeof out, &err), -1);
	char small[8];
	CU_ASSERT_EQUAL(otp_kana_fold("やまだたろう", small, sizeof small, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "too long"));
}

static void test_err_helpers(void)
{
	struct otp_err err;
	CU_ASSERT_EQUAL(otp_err_set(&err, OTP_ERR_NOTFOUND, "no contract %s", "x"), -1);
	CU_ASSERT_STRING_EQUAL(err.message, "no contract x");
	CU_ASSERT_STRING_EQUAL(otp_err_kind_text(OTP_ERR_NOTFOUND), "not found");
	char buf[4];
	CU_ASSERT_EQUAL(otp_strlcpy(buf, "abcdef", sizeof buf), 6);
	CU_ASSERT_STRING_EQUAL(buf, "abc");
}

TEST_SUITE(ids, "common/ids", NULL, NULL, TEST(test_contract_id), TEST(test_kana_fold), TEST(test_err_helpers))
