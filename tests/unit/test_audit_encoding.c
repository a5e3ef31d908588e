/* Known answers for the audit log's canonical encoding, chain hash and
 * signed checkpoints: the vectors of docs/AUDIT-FORMAT.md section 7, so a
 * second implementation can check itself against the same numbers. The
 * encodings and hashes were computed by the SQL sealer's functions
 * (otp.audit_encoding_head/tail, sha256), the checkpoint signature by the
 * openssl command line; this file checks the C side reproduces them. Also
 * the codecs' refused inputs. */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "tests/lib/testlib.h"

#define T(s) { s, (int)sizeof s - 1 }
#define NUL { NULL, -1 }

struct kat {
	struct audit_event ev;
	const char *encoding;	/* hex */
	const char *hash;	/* hex, chained from the previous vector (the first from 32 zero bytes) */
};

static const struct kat kats[] = {
	{
		.ev = {
			.seq = 1, .event_id = 1001, .at_us = 1743465600123456LL,	/* 2025-04-01 09:00:00.123456+09 */
			.actor = T("teller01"), .via_role = T("otp_teller"), .event = T("request.submit"),
			.outcome = T("success"), .reason_code = NUL, .client_app = T("otpdesk"),
			.client_addr = T("192.0.2.10/32"), .branch_code = T("012"), .contract_id = T("0120000001"),
			.credential_id = T("OTPD00000018"), .has_request_id = true, .request_id = 42,
			.details = T("{\"kind\": \"UNLOCK\", \"receipt_no\": \"012-20250401-0001\"}"),
		},
		.encoding =
			"0000000c6f74702d61756469742d76310000000800000000000000010000000800000000000003e9"
			"00000008000631ac37c602400000000874656c6c657230310000000a6f74705f74656c6c6572"
			"0000000e726571756573742e7375626d69740000000773756363657373ffffffff000000076f74"
			"706465736b0000000d3139322e302e322e31302f3332000000033031320000000a303132303030"
			"303030310000000c4f545044303030303030313800000008000000000000002a000000357b226b"
			"696e64223a2022554e4c4f434b222c2022726563656970745f6e6f223a20223031322d323032"
			"35303430312d30303031227d",
		.hash = "9fb6ee80ac7d065d6a25c389490b1c7daa3e8a375b4db9dc1e2ff68ca64ded6f",
	},
	{
		.ev = {
			.seq = 2, .event_id = 1002, .at_us = 1743465601000000LL,	/* 2025-04-01 09:00:01+09 */
			.actor = T("super01"), .via_role = NUL, .event = T("request.approve"), .outcome = T("refused"),
			.reason_code = T("OD005"), .client_app = T(""), .client_addr = T("2001:db8::1/128"),
			.branch_code = NUL, .contract_id = NUL, .credential_id = NUL, .has_request_id = false,
			.details = T("{\"message\": \"\xe5\xb1\xb1\xe7\x94\xb0 \\\"\xe6\xa7\x98\\\" "
				     "\xe3\x81\xaf\xe7\x94\xb3\xe8\xab\x8b\xe8\x80\x85\xe3\x81\xa7\xe3\x81\x99\"}"),
		},
		.encoding =
			"0000000c6f74702d61756469742d76310000000800000000000000020000000800000000000003ea"
			"00000008000631ac37d362400000000773757065723031ffffffff0000000f726571756573742e"
			"617070726f76650000000772656675736564000000054f44303035000000000000000f32303031"
			"3a6462383a3a312f313238ffffffffffffffffffffffffffffffff000000307b226d6573736167"
			"65223a2022e5b1b1e794b0205c22e6a7985c2220e381afe794b3e8ab8be88085e381a7e38199"
			"227d",
		.hash = "572a70933cde9a1f40e0e70bd69a4525daa95b37efaa449b861b9271185bd0dd",
	},
};

static void test_encoding_known_answers(void)
{
	unsigned char prev[AUDIT_HASH_LEN] = { 0 };
	for (size_t i = 0; i < sizeof kats / sizeof kats[0]; i++) {
		unsigned char buf[1024], hash[AUDIT_HASH_LEN];
		char hex[2 * sizeof buf + 1], hhex[2 * AUDIT_HASH_LEN + 1];
		size_t n = audit_encode(&kats[i].ev, buf, sizeof buf);
		CU_ASSERT_FATAL(n <= sizeof buf);
		CU_ASSERT_EQUAL(n, strlen(kats[i].encoding) / 2);
		audit_hex(buf, n, hex);
		CU_ASSERT_STRING_EQUAL(hex, kats[i].encoding);
		struct otp_err err;
		CU_ASSERT_EQUAL_FATAL(audit_event_hash(prev, &kats[i].ev, hash, &err), 0);
		audit_hex(hash, AUDIT_HASH_LEN, hhex);
		CU_ASSERT_STRING_EQUAL(hhex, kats[i].hash);
		memcpy(prev, hash, AUDIT_HASH_LEN);
	}
}

/* audit_encode reports the size it needs and writes nothing when short. */
static void test_encoding_size_probe(void)
{
	unsigned char buf[8] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
	size_t need = audit_encode(&kats[0].ev, buf, sizeof buf);
	CU_ASSERT_EQUAL(need, strlen(kats[0].encoding) / 2);
	CU_ASSERT_EQUAL(buf[0], 0xaa);
	CU_ASSERT_EQUAL(audit_encode(&kats[0].ev, NULL, 0), need);
}

/* Every field matters: changing any one byte or NULL-ness changes the hash. */
static void test_every_field_is_hashed(void)
{
	unsigned char zero[AUDIT_HASH_LEN] = { 0 }, base[AUDIT_HASH_LEN], h[AUDIT_HASH_LEN];
	struct otp_err err;
	audit_event_hash(zero, &kats[0].ev, base, &err);
	struct audit_event e;
	int differ = 0, total = 0;
#define CHANGED(stmt)                                                   \
	do {                                                            \
		e = kats[0].ev;                                         \
		stmt;                                                   \
		audit_event_hash(zero, &e, h, &err);                    \
		total++;                                                \
		differ += memcmp(h, base, AUDIT_HASH_LEN) != 0;         \
	} while (0)
	CHANGED(e.seq = 2);
	CHANGED(e.event_id++);
	CHANGED(e.at_us++);
	CHANGED(e.actor.len--);
	CHANGED(e.via_role.len = -1);
	CHANGED(e.event.p = "request.submiT");
	CHANGED(e.outcome.p = "Success");
	CHANGED(e.reason_code = (struct audit_text)T(""));
	CHANGED(e.client_app.len = 0);
	CHANGED(e.client_addr.len = -1);
	CHANGED(e.branch_code.p = "013");
	CHANGED(e.contract_id.len = -1);
	CHANGED(e.credential_id.p = "OTPD00000019");
	CHANGED(e.has_request_id = false);
	CHANGED(e.request_id = 43);
	CHANGED(e.details.len--);
#undef CHANGED
	CU_ASSERT_EQUAL(differ, total);
	/* the previous hash is part of the input too */
	zero[31] = 1;
	audit_event_hash(zero, &kats[0].ev, h, &err);
	CU_ASSERT_NOT_EQUAL(memcmp(h, base, AUDIT_HASH_LEN), 0);
}

/* NULL and the empty string are different fields. */
static void test_null_is_not_empty(void)
{
	struct audit_event a = kats[1].ev, b = kats[1].ev;
	a.client_app = (struct audit_text)NUL;
	unsigned char ea[1024], eb[1024];
	size_t na = audit_encode(&a, ea, sizeof ea), nb = audit_encode(&b, eb, sizeof eb);
	CU_ASSERT(na == nb && memcmp(ea, eb, na) != 0);
}

static const struct {
	const char *text;
	long long us;	/* expected, or -1 refused */
} times[] = {
	{ "2025-04-01T09:00:00.123456+09:00", 1743465600123456LL },
	{ "2025-04-01 09:00:00.123456+09", 1743465600123456LL },
	{ "2025-04-01T00:00:00.123456Z", 1743465600123456LL },
	{ "2024-12-31T20:30:00.5-03:30", 1735689600500000LL },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2000-02-29T00:00:00+0000", 951782400000000LL },
	{ "2025-04-01T09:00:00", -1 },		/* no zone */
	{ "2025-04-01T09:00:00.1234567Z", -1 },	/* beyond microseconds */
	{ "2025-13-01T09:00:00Z", -1 },
	{ "2025-04-01T09:00:00Zjunk", -1 },
	{ "2025-04-01", -1 },
	{ "", -1 },
};

static void test_time_parsing(void)
{
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		int64_t us = -7;
		int rc = audit_parse_time(times[i].text, strlen(times[i].text), &us);
		if (times[i].us < 0) {
			CU_ASSERT_EQUAL(rc, -1);
		} else {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(us, times[i].us);
		}
	}
	char out[24];
	audit_format_utc(1743465602, out);
	CU_ASSERT_STRING_EQUAL(out, "2025-04-01T00:00:02Z");
}

static void test_hex_refuses_bad_input(void)
{
	unsigned char b[2];
	CU_ASSERT_EQUAL(audit_unhex("0aFf", 4, b, 2), 0);
	CU_ASSERT(b[0] == 0x0a && b[1] == 0xff);
	CU_ASSERT_EQUAL(audit_unhex("0aF", 3, b, 2), -1);
	CU_ASSERT_EQUAL(audit_unhex("0g00", 4, b, 2), -1);
	CU_ASSERT_EQUAL(audit_unhex("0a0000", 6, b, 2), -1);
}

/* RFC 8032 test 1's secret key; the line was produced with
 * `openssl pkeyutl -sign -rawin` (AUDIT-FORMAT.md section 7). */
static const unsigned char rfc8032_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
	0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

static const char kat_line[] =
	"otp-audit-checkpoint v1 seq=2 hash=572a70933cde9a1f40e0e70bd69a4525daa95b37efaa449b861b9271185bd0dd "
	"time=2025-04-01T00:00:02Z key=21fe31dfa154a261 "
	"sig=9kHIJylOy0FLgxl7MIIpL/S2BwqeayVebY99Xnx1ES9jEL5h2sXy6Lwc5gYzcUOGrhrXCU6eKfClvaVlOCqgAA==";

static void test_checkpoint_known_answer(void)
{
	struct otp_err err;
	struct audit_key *key;
	CU_ASSERT_EQUAL_FATAL(audit_key_from_seed(rfc8032_seed, &key, &err), 0);
	CU_ASSERT_STRING_EQUAL(audit_key_id(key), "21fe31dfa154a261");
	struct audit_checkpoint cp = { .seq = 2, .time = 1743465602 };
	CU_ASSERT_EQUAL(audit_unhex(kats[1].hash, 64, cp.hash, AUDIT_HASH_LEN), 0);
	CU_ASSERT_EQUAL_FATAL(audit_checkpoint_sign(&cp, key, &err), 0);
	char line[512];
	audit_checkpoint_line(&cp, line, sizeof line);
	CU_ASSERT_STRING_EQUAL(line, kat_line);
	struct audit_checkpoint back;
	CU_ASSERT_EQUAL(audit_checkpoint_parse(kat_line, &back, &err), 0);
	CU_ASSERT_EQUAL(memcmp(&back, &cp, sizeof cp), 0);
	CU_ASSERT(audit_checkpoint_verify(&back, key));
	back.seq = 3;	/* any change breaks the signature */
	CU_ASSERT(!audit_checkpoint_verify(&back, key));
	audit_key_free(key);
}

static void test_checkpoint_refused_lines(void)
{
	static const char *const bad[] = {
		"",
		"otp-audit-checkpoint v2 seq=2 hash=572a70933cde9a1f40e0e70bd69a4525daa95b37efaa449b861b9271185bd0dd",
		/* seq with a leading zero (not canonical) */
		"otp-audit-checkpoint v1 seq=02 hash=572a70933cde9a1f40e0e70bd69a4525daa95b37efaa449b861b9271185bd0dd "
		"time=2025-04-01T00:00:02Z key=21fe31dfa154a261 "
		"sig=9kHIJylOy0FLgxl7MIIpL/S2BwqeayVebY99Xnx1ES9jEL5h2sXy6Lwc5gYzcUOGrhrXCU6eKfClvaVlOCqgAA==",
		/* upper-case hash */
		"otp-audit-checkpoint v1 seq=2 hash=572A70933cde9a1f40e0e70bd69a4525daa95b37efaa449b861b9271185bd0dd "
		"time=2025-04-01T00:00:02Z key=21fe31dfa154a261 "
		"sig=9kHIJylOy0FLgxl7MIIpL/S2BwqeayVebY99Xnx1ES9jEL5h2sXy6Lwc5gYzcUOGrhrXCU6eKfClvaVlOCqgAA==",
		/* time with a zone other than Z */
		"otp-audit-checkpoint v1 seq=2 hash=572a70933cde9a1f40e0e70bd69a4525daa95b37efaa449b861b9271185bd0dd "
		"time=2025-04-01T09:00:02+09 key=21fe31dfa154a261 "
		"sig=9kHIJylOy0FLgxl7MIIpL/S2BwqeayVebY99Xnx1ES9jEL5h2sXy6Lwc5gYzcUOGrhrXCU6eKfClvaVlOCqgAA==",
		/* short signature */
		"otp-audit-checkpoint v1 seq=2 hash=572a70933cde9a1f40e0e70bd69a4525daa95b37efaa449b861b9271185bd0dd "
		"time=2025-04-01T00:00:02Z key=21fe31dfa154a261 sig=9kHIJylOy0FLgxl7MIIpL==",
		/* trailing text */
		"otp-audit-checkpoint v1 seq=2 hash=572a70933cde9a1f40e0e70bd69a4525daa95b37efaa449b861b9271185bd0dd "
		"time=2025-04-01T00:00:02Z key=21fe31dfa154a261 "
		"sig=9kHIJylOy0FLgxl7MIIpL/S2BwqeayVebY99Xnx1ES9jEL5h2sXy6Lwc5gYzcUOGrhrXCU6eKfClvaVlOCqgAA== x",
	};
	struct audit_checkpoint cp;
	struct otp_err err;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CU_ASSERT_EQUAL(audit_checkpoint_parse(bad[i], &cp, &err), -1);
	char ok[sizeof kat_line + 2];
	snprintf(ok, sizeof ok, "%s\n", kat_line);
	CU_ASSERT_EQUAL(audit_checkpoint_parse(ok, &cp, &err), 0);
}

/* The JSON-lines reader takes the export's own spelling back. */
static void test_json_event_round_trip(void)
{
	char line[] =
		"{\"seq\":2,\"prev_hash\":\"9fb6ee80ac7d065d6a25c389490b1c7daa3e8a375b4db9dc1e2ff68ca64ded6f\","
		"\"hash\":\"572a70933cde9a1f40e0e70bd69a4525daa95b37efaa449b861b9271185bd0dd\",\"event_id\":1002,"
		"\"at\":\"2025-04-01T09:00:01.000000+09:00\",\"actor\":\"super01\",\"via_role\":null,"
		"\"event\":\"request.approve\",\"outcome\":\"refused\",\"reason_code\":\"OD005\",\"client_app\":\"\","
		"\"client_addr\":\"2001:db8::1/128\",\"branch_code\":null,\"contract_id\":null,\"credential_id\":null,"
		"\"request_id\":null,\"details\":{\"message\": \"\xe5\xb1\xb1\xe7\x94\xb0 \\\"\xe6\xa7\x98\\\" "
		"\xe3\x81\xaf\xe7\x94\xb3\xe8\xab\x8b\xe8\x80\x85\xe3\x81\xa7\xe3\x81\x99\"},\"sealed_at\":null}";
	struct audit_event ev;
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(audit_parse_json_event(line, strlen(line), &ev, &err), 0);
	unsigned char a[1024], b[1024];
	size_t na = audit_encode(&ev, a, sizeof a), nb = audit_encode(&kats[1].ev, b, sizeof b);
	CU_ASSERT_EQUAL(na, nb);
	CU_ASSERT_EQUAL(memcmp(a, b, na), 0);
	CU_ASSERT(ev.sealed);
	char hex[65];
	audit_hex(ev.hash, AUDIT_HASH_LEN, hex);
	CU_ASSERT_STRING_EQUAL(hex, kats[1].hash);
	char escaped[] = "{\"seq\":1,\"prev_hash\":null,\"hash\":null,\"event_id\":1,\"at\":\"2025-04-01T00:00:00Z\","
			 "\"actor\":\"a\\u00e9\\ud83d\\ude00\\n\",\"event\":\"e\",\"outcome\":\"success\",\"details\":{}}";
	CU_ASSERT_EQUAL_FATAL(audit_parse_json_event(escaped, strlen(escaped), &ev, &err), 0);
	CU_ASSERT_EQUAL(ev.actor.len, 8);
	CU_ASSERT_EQUAL(memcmp(ev.actor.p, "a\xc3\xa9\xf0\x9f\x98\x80\n", 8), 0);
	char broken[] = "{\"seq\":1,\"event_id\":1,\"at\":\"2025-04-01T00:00:00Z\",\"details\":{}";
	CU_ASSERT_EQUAL(audit_parse_json_event(broken, strlen(broken), &ev, &err), -1);
}

TEST_SUITE(audit_encoding, "unit/audit_encoding", NULL, NULL,
	   TEST(test_encoding_known_answers),
	   TEST(test_encoding_size_probe),
	   TEST(test_every_field_is_hashed),
	   TEST(test_null_is_not_empty),
	   TEST(test_time_parsing),
	   TEST(test_hex_refuses_bad_input),
	   TEST(test_checkpoint_known_answer),
	   TEST(test_checkpoint_refused_lines),
	   TEST(test_json_event_round_trip))
