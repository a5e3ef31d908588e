/* Checkpoint signing keys and files: keygen writes a 0600 private key and a
 * public key, refuses to overwrite them, both load with the same key id;
 * a private key readable by others is refused; a checkpoint file appended
 * line by line loads back into the verifier, and a verifier given only the
 * old key of a rotation reports the new key's checkpoints as forged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "tests/lib/testlib.h"

static char dir[64];

static int setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/otp-audit-keys-%d", (int)getpid());
	return 0;
}

static int teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s-2' '%s.cp'", dir, dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_keygen_files(void)
{
	char id[AUDIT_KEYID_HEX + 1], again[AUDIT_KEYID_HEX + 1], path[128];
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(audit_key_generate(dir, id, &err), 0);
	CU_ASSERT_EQUAL(strlen(id), AUDIT_KEYID_HEX);
	struct stat st;
	snprintf(path, sizeof path, "%s/signing.key", dir);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	struct audit_key *priv, *pub;
	CU_ASSERT_EQUAL_FATAL(audit_key_load(path, &priv, &err), 0);
	CU_ASSERT(audit_key_is_private(priv));
	CU_ASSERT_STRING_EQUAL(audit_key_id(priv), id);
	snprintf(path, sizeof path, "%s/signing.pub", dir);
	CU_ASSERT_EQUAL_FATAL(audit_key_load(path, &pub, &err), 0);
	CU_ASSERT(!audit_key_is_private(pub));
	CU_ASSERT_STRING_EQUAL(audit_key_id(pub), id);
	/* a second keygen in the same place is refused and changes nothing */
	CU_ASSERT_EQUAL(audit_key_generate(dir, again, &err), -1);
	struct audit_key *still;
	CU_ASSERT_EQUAL_FATAL(audit_key_load(path, &still, &err), 0);
	CU_ASSERT_STRING_EQUAL(audit_key_id(still), id);
	audit_key_free(still);
	/* a public key cannot sign; a signature verifies with the public key */
	struct audit_checkpoint cp = { .seq = 7, .time = 1743465602 };
	memset(cp.hash, 0x42, sizeof cp.hash);
	CU_ASSERT_EQUAL(audit_checkpoint_sign(&cp, pub, &err), -1);
	CU_ASSERT_EQUAL(audit_checkpoint_sign(&cp, priv, &err), 0);
	CU_ASSERT(audit_checkpoint_verify(&cp, pub));
	audit_key_free(priv);
	audit_key_free(pub);
}

static void test_private_key_readable_by_others_refused(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/signing.key", dir);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0644), 0);
	struct audit_key *k = NULL;
	struct otp_err err;
	CU_ASSERT_EQUAL(audit_key_load(path, &k, &err), -1);
	CU_ASSERT_PTR_NULL(k);
	CU_ASSERT(strstr(err.hint, "chmod 600") != NULL);
	chmod(path, 0600);
	snprintf(path, sizeof path, "%s/missing.pub", dir);
	CU_ASSERT_EQUAL(audit_key_load(path, &k, &err), -1);
	CU_ASSERT_EQUAL(err.kind, OTP_ERR_IO);
}

/* Rotation: checkpoints of the old and the new key in one file. */
static void test_checkpoint_file_and_rotation(void)
{
	char dir2[80], path[128], cpfile[96];
	snprintf(dir2, sizeof dir2, "%s-2", dir);
	snprintf(cpfile, sizeof cpfile, "%s.cp", dir);
	char id2[AUDIT_KEYID_HEX + 1];
	struct otp_err err;
	CU_ASSERT_EQUAL_FATAL(audit_key_generate(dir2, id2, &err), 0);
	struct audit_key *old, *new_, *oldpub, *newpub;
	snprintf(path, sizeof path, "%s/signing.key", dir);
	CU_ASSERT_EQUAL_FATAL(audit_key_load(path, &old, &err), 0);
	snprintf(path, sizeof path, "%s/signing.key", dir2);
	CU_ASSERT_EQUAL_FATAL(audit_key_load(path, &new_, &err), 0);
	snprintf(path, sizeof path, "%s/signing.pub", dir);
	CU_ASSERT_EQUAL_FATAL(audit_key_load(path, &oldpub, &err), 0);
	snprintf(path, sizeof path, "%s/signing.pub", dir2);
	CU_ASSERT_EQUAL_FATAL(audit_key_load(path, &newpub, &err), 0);
	/* a one-event chain to check against */
	struct audit_event ev = {
		.seq = 1, .event_id = 1, .at_us = 1743465600000000LL, .actor = { "a", 1 }, .via_role = { NULL, -1 },
		.event = { "e", 1 }, .outcome = { "success", 7 }, .reason_code = { NULL, -1 }, .client_app = { "", 0 },
		.client_addr = { NULL, -1 }, .branch_code = { NULL, -1 }, .contract_id = { NULL, -1 },
		.credential_id = { NULL, -1 }, .details = { "{}", 2 }, .sealed = true,
	};
	audit_event_hash(ev.prev_hash, &ev, ev.hash, &err);
	struct audit_checkpoint a = { .seq = 1, .time = 1743465601 }, b = { .seq = 1, .time = 1743465700 };
	memcpy(a.hash, ev.hash, AUDIT_HASH_LEN);
	memcpy(b.hash, ev.hash, AUDIT_HASH_LEN);
	CU_ASSERT_EQUAL(audit_checkpoint_sign(&a, old, &err), 0);
	CU_ASSERT_EQUAL(audit_checkpoint_sign(&b, new_, &err), 0);
	remove(cpfile);
	CU_ASSERT_EQUAL(audit_checkpoint_append(cpfile, &a, &err), 0);
	CU_ASSERT_EQUAL(audit_checkpoint_append(cpfile, &b, &err), 0);
	for (int keys = 1; keys <= 2; keys++) {
		struct audit_verifier *v;
		CU_ASSERT_EQUAL_FATAL(audit_verifier_new(&v, AUDIT_VERIFY_CHAIN, &err), 0);
		audit_verifier_add_key(v, oldpub, &err);
		if (keys == 2)
			audit_verifier_add_key(v, newpub, &err);
		CU_ASSERT_EQUAL(audit_verifier_load_checkpoints(v, cpfile, &err), 0);
		struct audit_report rep;
		if (audit_verifier_check_signatures(v))
			audit_verifier_feed(v, &ev, 1);
		audit_verifier_finish(v, 1, ev.hash, &rep);
		if (keys == 1) {
			CU_ASSERT_EQUAL(rep.damage, AUDIT_DAMAGE_FORGED_CHECKPOINT);	/* the auditor lacks the new key */
		} else {
			CU_ASSERT_EQUAL(rep.damage, AUDIT_DAMAGE_NONE);
			CU_ASSERT_EQUAL(rep.checkpoints_matched, 2);
		}
		audit_verifier_free(v);
	}
	/* a damaged line makes the file unreadable, not silently skipped */
	FILE *f = fopen(cpfile, "a");
	fputs("otp-audit-checkpoint v1 seq=1 hash=zz\n", f);
	fclose(f);
	struct audit_verifier *v;
	audit_verifier_new(&v, AUDIT_VERIFY_CHAIN, &err);
	CU_ASSERT_EQUAL(audit_verifier_load_checkpoints(v, cpfile, &err), -1);
	CU_ASSERT(strstr(err.message, "line 3") != NULL);
	audit_verifier_free(v);
	audit_key_free(old);
	audit_key_free(new_);
	audit_key_free(oldpub);
	audit_key_free(newpub);
}

TEST_SUITE(audit_keys, "unit/audit_keys", setup, teardown,
	   TEST(test_keygen_files),
	   TEST(test_private_key_readable_by_others_refused),
	   TEST(test_checkpoint_file_and_rotation))
