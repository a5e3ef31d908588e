/* db_seed: the demo data generator behind `otpctl demo seed`. Rows are made
 * in C from a seeded PRNG (each row from its own stream, so any pass can
 * regenerate any row) and streamed with COPY FROM STDIN; everything happens
 * in one transaction. It writes the otp.* tables directly and must never be
 * reachable by a staff login: it refuses unless connected as a superuser.
 * DDL for the demo roles is built on the server with format('%I', '%L'). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "db/db_internal.h"
#include "db/seed.h"
#include "otp/otp.h"

/* ---- static tables ----------------------------------------------------- */

static const char *const state_names[] = {
#define X(id, name) [DB_SEED_##id] = name,
	DB_SEED_STATES(X)
#undef X
};

const char *db_seed_state_name(enum db_seed_state s)
{
	return (unsigned)s < DB_SEED_STATE_COUNT ? state_names[s] : "?";
}

struct seed_branch {
	const char *code;
	const char *name;
	const char *name_en;
	bool head_office;
	unsigned weight;	/* share of the contracts */
	const char *city;	/* prefecture + city (+ ward) */
	const char *towns[4];
};

/* Sorted by code: contracts are generated branch by branch, so contract IDs
 * (branch code + serial) arrive in ascending order. */
static const struct seed_branch branches[] = {
	{ "000", "本店営業部", "Head Office", true, 9, "東京都千代田区", { "丸の内", "大手町", "内幸町", "神田錦町" } },
	{ "012", "中央支店", "Chuo Branch", false, 8, "東京都中央区", { "日本橋", "銀座", "築地", "八丁堀" } },
	{ "015", "新宿支店", "Shinjuku Branch", false, 7, "東京都新宿区", { "西新宿", "高田馬場", "四谷", "神楽坂" } },
	{ "021", "渋谷支店", "Shibuya Branch", false, 6, "東京都渋谷区", { "恵比寿", "代々木", "道玄坂", "笹塚" } },
	{ "027", "池袋支店", "Ikebukuro Branch", false, 6, "東京都豊島区", { "東池袋", "西池袋", "巣鴨", "目白" } },
	{ "034", "港支店", "Minato Branch", false, 6, "東京都港区", { "芝浦", "高輪", "三田", "赤坂" } },
	{ "041", "品川支店", "Shinagawa Branch", false, 5, "東京都品川区", { "大崎", "西五反田", "東品川", "戸越" } },
	{ "048", "上野支店", "Ueno Branch", false, 5, "東京都台東区", { "上野", "浅草", "谷中", "蔵前" } },
	{ "053", "横浜支店", "Yokohama Branch", false, 6, "神奈川県横浜市中区", { "山下町", "本町", "元町", "相生町" } },
	{ "056", "川崎支店", "Kawasaki Branch", false, 4, "神奈川県川崎市川崎区", { "駅前本町", "砂子", "小川町", "大師町" } },
	{ "062", "大宮支店", "Omiya Branch", false, 4, "埼玉県さいたま市大宮区", { "桜木町", "大門町", "宮町", "高鼻町" } },
	{ "067", "千葉支店", "Chiba Branch", false, 4, "千葉県千葉市中央区", { "富士見", "新町", "中央", "本千葉町" } },
	{ "071", "船橋支店", "Funabashi Branch", false, 3, "千葉県船橋市", { "本町", "湊町", "宮本", "前原西" } },
	{ "075", "八王子支店", "Hachioji Branch", false, 3, "東京都八王子市", { "旭町", "明神町", "横山町", "子安町" } },
	{ "082", "立川支店", "Tachikawa Branch", false, 3, "東京都立川市", { "曙町", "柴崎町", "錦町", "高松町" } },
	{ "088", "町田支店", "Machida Branch", false, 3, "東京都町田市", { "原町田", "中町", "森野", "玉川学園" } },
	{ "091", "吉祥寺支店", "Kichijoji Branch", false, 3, "東京都武蔵野市", { "吉祥寺本町", "吉祥寺南町", "御殿山", "中町" } },
	{ "095", "錦糸町支店", "Kinshicho Branch", false, 3, "東京都墨田区", { "錦糸", "江東橋", "太平", "亀沢" } },
	{ "103", "浦和支店", "Urawa Branch", false, 3, "埼玉県さいたま市浦和区", { "高砂", "常盤", "岸町", "仲町" } },
	{ "110", "柏支店", "Kashiwa Branch", false, 3, "千葉県柏市", { "柏", "旭町", "明原", "豊四季" } },
};
#define NBRANCH ((int)(sizeof branches / sizeof branches[0]))

struct seed_name {
	const char *kanji;
	const char *kana;	/* full-width katakana, no spaces */
};

/* The 100 most common surnames, most common first (draws favour the top). */
static const struct seed_name surnames[] = {
	{ "佐藤", "サトウ" }, { "鈴木", "スズキ" }, { "高橋", "タカハシ" }, { "田中", "タナカ" },
	{ "伊藤", "イトウ" }, { "渡辺", "ワタナベ" }, { "山本", "ヤマモト" }, { "中村", "ナカムラ" },
	{ "小林", "コバヤシ" }, { "加藤", "カトウ" }, { "吉田", "ヨシダ" }, { "山田", "ヤマダ" },
	{ "佐々木", "ササキ" }, { "山口", "ヤマグチ" }, { "松本", "マツモト" }, { "井上", "イノウエ" },
	{ "木村", "キムラ" }, { "林", "ハヤシ" }, { "斎藤", "サイトウ" }, { "清水", "シミズ" },
	{ "山崎", "ヤマザキ" }, { "森", "モリ" }, { "池田", "イケダ" }, { "橋本", "ハシモト" },
	{ "阿部", "アベ" }, { "石川", "イシカワ" }, { "山下", "ヤマシタ" }, { "中島", "ナカジマ" },
	{ "石井", "イシイ" }, { "小川", "オガワ" }, { "前田", "マエダ" }, { "岡田", "オカダ" },
	{ "長谷川", "ハセガワ" }, { "藤田", "フジタ" }, { "後藤", "ゴトウ" }, { "近藤", "コンドウ" },
	{ "村上", "ムラカミ" }, { "遠藤", "エンドウ" }, { "青木", "アオキ" }, { "坂本", "サカモト" },
	{ "斉藤", "サイトウ" }, { "福田", "フクダ" }, { "太田", "オオタ" }, { "西村", "ニシムラ" },
	{ "藤井", "フジイ" }, { "金子", "カネコ" }, { "岡本", "オカモト" }, { "藤原", "フジワラ" },
	{ "中野", "ナカノ" }, { "三浦", "ミウラ" }, { "原田", "ハラダ" }, { "中川", "ナカガワ" },
	{ "松田", "マツダ" }, { "竹内", "タケウチ" }, { "小野", "オノ" }, { "田村", "タムラ" },
	{ "中山", "ナカヤマ" }, { "和田", "ワダ" }, { "石田", "イシダ" }, { "森田", "モリタ" },
	{ "上田", "ウエダ" }, { "原", "ハラ" }, { "内田", "ウチダ" }, { "柴田", "シバタ" },
	{ "酒井", "サカイ" }, { "宮崎", "ミヤザキ" }, { "横山", "ヨコヤマ" }, { "高木", "タカギ" },
	{ "安藤", "アンドウ" }, { "宮本", "ミヤモト" }, { "大野", "オオノ" }, { "小島", "コジマ" },
	{ "谷口", "タニグチ" }, { "今井", "イマイ" }, { "工藤", "クドウ" }, { "高田", "タカダ" },
	{ "増田", "マスダ" }, { "丸山", "マルヤマ" }, { "杉山", "スギヤマ" }, { "村田", "ムラタ" },
	{ "大塚", "オオツカ" }, { "新井", "アライ" }, { "小山", "コヤマ" }, { "平野", "ヒラノ" },
	{ "藤本", "フジモト" }, { "河野", "コウノ" }, { "上野", "ウエノ" }, { "野口", "ノグチ" },
	{ "武田", "タケダ" }, { "松井", "マツイ" }, { "千葉", "チバ" }, { "岩崎", "イワサキ" },
	{ "菅原", "スガワラ" }, { "木下", "キノシタ" }, { "久保", "クボ" }, { "佐野", "サノ" },
	{ "野村", "ノムラ" }, { "松尾", "マツオ" }, { "市川", "イチカワ" }, { "菊地", "キクチ" },
};
#define NSURNAME ((int)(sizeof surnames / sizeof surnames[0]))

/* Given names: the first half male, the second half female, each mixing
 * older and recent generations. */
static const struct seed_name given_names[] = {
	{ "太郎", "タロウ" }, { "一郎", "イチロウ" }, { "健太", "ケンタ" }, { "翔太", "ショウタ" },
	{ "大輔", "ダイスケ" }, { "拓也", "タクヤ" }, { "直樹", "ナオキ" }, { "健一", "ケンイチ" },
	{ "誠", "マコト" }, { "浩", "ヒロシ" }, { "隆", "タカシ" }, { "茂", "シゲル" },
	{ "博", "ヒロシ" }, { "清", "キヨシ" }, { "勇", "イサム" }, { "修", "オサム" },
	{ "和夫", "カズオ" }, { "正", "タダシ" }, { "明", "アキラ" }, { "進", "ススム" },
	{ "剛", "ツヨシ" }, { "学", "マナブ" }, { "聡", "サトシ" }, { "亮", "リョウ" },
	{ "大樹", "ダイキ" }, { "蓮", "レン" }, { "陽翔", "ハルト" }, { "悠真", "ユウマ" },
	{ "湊", "ミナト" }, { "大翔", "ヒロト" }, { "悠斗", "ユウト" }, { "陸", "リク" },
	{ "颯太", "ソウタ" }, { "海斗", "カイト" }, { "翼", "ツバサ" }, { "達也", "タツヤ" },
	{ "和也", "カズヤ" }, { "雄一", "ユウイチ" }, { "秀樹", "ヒデキ" }, { "俊介", "シュンスケ" },
	{ "慎吾", "シンゴ" }, { "康弘", "ヤスヒロ" }, { "哲也", "テツヤ" }, { "英樹", "ヒデキ" },
	{ "裕太", "ユウタ" }, { "亮介", "リョウスケ" }, { "洋平", "ヨウヘイ" }, { "圭", "ケイ" },
	{ "信也", "シンヤ" }, { "光男", "ミツオ" },
	{ "花子", "ハナコ" }, { "恵子", "ケイコ" }, { "洋子", "ヨウコ" }, { "幸子", "サチコ" },
	{ "和子", "カズコ" }, { "京子", "キョウコ" }, { "裕子", "ユウコ" }, { "美智子", "ミチコ" },
	{ "久美子", "クミコ" }, { "由美子", "ユミコ" }, { "直美", "ナオミ" }, { "明美", "アケミ" },
	{ "真由美", "マユミ" }, { "智子", "トモコ" }, { "陽子", "ヨウコ" }, { "愛", "アイ" },
	{ "彩", "アヤ" }, { "美咲", "ミサキ" }, { "桜", "サクラ" }, { "陽菜", "ヒナ" },
	{ "結衣", "ユイ" }, { "葵", "アオイ" }, { "凛", "リン" }, { "美穂", "ミホ" },
	{ "舞", "マイ" }, { "麻衣", "マイ" }, { "優子", "ユウコ" }, { "千尋", "チヒロ" },
	{ "綾香", "アヤカ" }, { "沙織", "サオリ" }, { "香織", "カオリ" }, { "理恵", "リエ" },
	{ "友美", "トモミ" }, { "由紀", "ユキ" }, { "奈々", "ナナ" }, { "加奈子", "カナコ" },
	{ "真理", "マリ" }, { "順子", "ジュンコ" }, { "節子", "セツコ" }, { "文子", "フミコ" },
	{ "静香", "シズカ" }, { "千秋", "チアキ" }, { "麻美", "アサミ" }, { "里美", "サトミ" },
	{ "芽衣", "メイ" }, { "結菜", "ユイナ" }, { "杏", "アン" }, { "紬", "ツムギ" },
	{ "莉子", "リコ" }, { "美月", "ミヅキ" },
};
#define NGIVEN ((int)(sizeof given_names / sizeof given_names[0]))

static const char *const buildings[] = {
	"ハイツ", "コーポ", "メゾン", "レジデンス", "パークハウス", "グランドール",
};
#define NBUILDING ((int)(sizeof buildings / sizeof buildings[0]))

static const char *const hold_reasons[] = {
	"第三者による不正利用の疑い（お客様からの申出）",
	"海外IPアドレスからの連続認証失敗（モニタリング検知）",
	"警察からの照会あり：取引停止中",
	"フィッシングサイトへの入力の申告あり",
};
#define NHOLD_REASON ((int)(sizeof hold_reasons / sizeof hold_reasons[0]))

static const struct db_seed_login logins[] = {
	{ "demo_teller", "otp_teller", "012", "窓口 一郎（デモ）" },
	{ "demo_teller2", "otp_teller", "012", "窓口 二美（デモ）" },
	{ "demo_supervisor", "otp_supervisor", "012", "役席 正子（デモ）" },
	{ "demo_helpdesk", "otp_helpdesk", "000", "ヘルプデスク 明（デモ）" },
	{ "demo_auditor", "otp_auditor", "000", "監査 誠（デモ）" },
	{ "demo_admin", "otp_admin", "000", "システム管理 聡（デモ）" },
	{ "demo_verifier", "otp_verifier", "000", "認証サーバー（デモ）" },
	{ "demo_batch", "otp_batch", "000", "夜間バッチ（デモ）" },
};
#define NLOGIN ((int)(sizeof logins / sizeof logins[0]))

const struct db_seed_login *db_seed_logins(int *n)
{
	*n = NLOGIN;
	return logins;
}

void db_seed_opts_init(struct db_seed_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->contracts = DB_SEED_DEFAULT_CONTRACTS;
	opts->seed = DB_SEED_DEFAULT_SEED;
}

/* ---- PRNG: splitmix64, one stream per row ------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform in 0..n-1 (n >= 1); the bias of the multiply-shift is < 2^-32. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static void rng_stream(struct rng *r, uint64_t seed, uint64_t stream)
{
	r->s = seed ^ (stream * 0xD1B54A32D192ED03ull);
	rng_next(r);
}

/* ---- calendar helpers (proleptic Gregorian, UTC) ------------------------ */

/* y-m-d of day z (days since 1970-01-01; H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* ---- output buffer for COPY -------------------------------------------- */

#define OBUF_FLUSH (256 * 1024)

struct obuf {
	char *p;
	size_t len;
	size_t cap;
};

static void ob_str(struct obuf *b, const char *s)
{
	size_t n = strlen(s);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void ob_chr(struct obuf *b, char c)
{
	b->p[b->len++] = c;
}

/* v >= 0 in exactly width digits (zero-padded), or as many as needed when width == 0. */
static void ob_num(struct obuf *b, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width)
		tmp[n++] = '0';
	while (n)
		b->p[b->len++] = tmp[--n];
}

static void ob_date(struct obuf *b, int64_t day)
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	ob_num(b, (uint64_t)y, 4);
	ob_chr(b, '-');
	ob_num(b, (uint64_t)m, 2);
	ob_chr(b, '-');
	ob_num(b, (uint64_t)d, 2);
}

/* A timestamptz literal in UTC: "YYYY-MM-DD HH:MM:SS+00". */
static void ob_ts(struct obuf *b, int64_t t)
{
	int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t sec = t - day * 86400;
	ob_date(b, day);
	ob_chr(b, ' ');
	ob_num(b, (uint64_t)(sec / 3600), 2);
	ob_chr(b, ':');
	ob_num(b, (uint64_t)(sec / 60 % 60), 2);
	ob_chr(b, ':');
	ob_num(b, (uint64_t)(sec % 60), 2);
	ob_str(b, "+00");
}

static void ob_ts_or_null(struct obuf *b, int64_t t)
{
	if (t)
		ob_ts(b, t);
	else
		ob_str(b, "\\N");
}

/* ---- the generator ----------------------------------------------------- */

#define DAY 86400
#define MAX_FAILS 16
#define EPOCH_OPENED_FIRST 7305		/* 1990-01-01 */
#define EPOCH_OPENED_LAST 20453		/* 2025-12-31 */
#define EPOCH_SERVICE_START 14700	/* 2010-04-01: the OTP service opens */
#define CRED_FIRST 5000000u
#define CRED_RANGE 5000000u
_Static_assert(DB_SEED_MAX_CONTRACTS <= CRED_RANGE, "credential serials must not repeat");

struct gen {
	uint64_t seed;
	long n;
	int64_t now;
	int threshold;
	long count[NBRANCH];	/* contracts per branch */
	uint32_t surname_cum[NSURNAME];
	uint32_t cred_add;	/* credential serial of row i, see gen_init */
	int64_t token_base;	/* token_id of row 0 */
};

struct fail {
	int64_t at;
	const char *reason;
	int no;			/* 0: NULL */
};

struct row {
	int b;			/* index into branches[] */
	long serial;		/* 1-based within the branch */
	int sur, given;
	int town, chome, ban, go, building, room;	/* building -1: a house */
	int64_t opened;		/* days since 1970-01-01 */
	enum db_seed_state state;
	int failure_count;
	int64_t registered_at, locked_at, stopped_at;	/* 0 = NULL */
	uint32_t cred_serial;
	char credential[OTP_CREDENTIAL_LEN + 1];	/* "" when none */
	int client;
	int nfail;
	struct fail fail[MAX_FAILS];
};

static void gen_init(struct gen *g, long n, uint64_t seed, int64_t now, int threshold)
{
	memset(g, 0, sizeof *g);
	g->seed = seed;
	g->n = n;
	g->now = now;
	g->threshold = threshold;

	unsigned wsum = 0;
	for (int b = 0; b < NBRANCH; b++)
		wsum += branches[b].weight;
	long given = 0;
	for (int b = 0; b < NBRANCH; b++) {
		g->count[b] = (long)((long long)n * branches[b].weight / wsum);
		given += g->count[b];
	}
	/* the remainder to the biggest branches, one each */
	for (int b = 0; given < n; b = (b + 1) % NBRANCH, given++)
		g->count[b]++;

	/* Zipf-like: the k-th surname weighs 1/(k + 8) */
	uint32_t cum = 0;
	for (int k = 0; k < NSURNAME; k++)
		g->surname_cum[k] = cum += 100000u / (uint32_t)(k + 8);

	struct rng r;
	rng_stream(&r, seed, 0);
	/* Demo serials live in 5,000,000..9,999,999, away from the provisioning
	 * sequence (otp.credential_serial starts at 1,000,001 and skips taken
	 * serials one by one). They ascend with the rows, wrapping once, so the
	 * unique index on credential_id grows at its right edge: random serials
	 * made the token COPY twice as slow (random B-tree pages, full-page WAL
	 * images). Unique while n <= DB_SEED_MAX_CONTRACTS. */
	g->cred_add = rng_below(&r, CRED_RANGE);
}

static int draw_surname(const struct gen *g, struct rng *r)
{
	uint32_t x = rng_below(r, g->surname_cum[NSURNAME - 1]);
	int lo = 0, hi = NSURNAME - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (g->surname_cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* A random instant of the Japanese business day (9:00-17:59 JST) of `day`. */
static int64_t office_hours(struct rng *r, int64_t day)
{
	return day * DAY + rng_below(r, 9 * 3600);	/* JST = UTC + 9 */
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int64_t between(struct rng *r, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo : lo + (int64_t)(((rng_next(r) >> 1) % (uint64_t)(hi - lo + 1)));
}

static void add_failures(struct row *w, struct rng *r, int64_t last, int count, int gap_max)
{
	int64_t t = last;
	for (int k = count; k >= 1; k--) {
		w->fail[k - 1] = (struct fail){ .at = t, .reason = "WRONG_CODE", .no = k };
		t -= 8 + rng_below(r, (uint32_t)gap_max);
	}
	w->nfail = count;
}

/* Row i (0-based, over all branches) of branch b with 1-based serial. The row
 * depends only on (seed, i, b, serial, now, threshold). */
static void gen_row(const struct gen *g, long i, int b, long serial, struct row *w)
{
	struct rng r;
	rng_stream(&r, g->seed, (uint64_t)i + 1);
	const int64_t today = g->now / DAY;

	memset(w, 0, sizeof *w);
	w->b = b;
	w->serial = serial;
	w->sur = draw_surname(g, &r);
	w->given = (int)rng_below(&r, NGIVEN);
	w->town = (int)rng_below(&r, 4);
	w->chome = 1 + (int)rng_below(&r, 5);
	w->ban = 1 + (int)rng_below(&r, 30);
	w->go = 1 + (int)rng_below(&r, 20);
	w->building = rng_below(&r, 100) < 35 ? (int)rng_below(&r, NBUILDING) : -1;
	w->room = (1 + (int)rng_below(&r, 12)) * 100 + 1 + (int)rng_below(&r, 8);

	/* older serials opened earlier, with some jitter */
	int64_t span = EPOCH_OPENED_LAST - EPOCH_OPENED_FIRST;
	int64_t opened = EPOCH_OPENED_FIRST + (serial - 1) * span / (g->count[b] > 0 ? g->count[b] : 1);
	opened += (int64_t)rng_below(&r, 241) - 120;
	w->opened = clamp64(opened, EPOCH_OPENED_FIRST, clamp64(today - 30, EPOCH_OPENED_FIRST, EPOCH_OPENED_LAST));

	/* token state: 80 % ACTIVE, 3 % ACTIVE with 1-3 recent failures,
	 * 5 % LOCKED, 8 % UNREGISTERED, 4 % STOPPED */
	uint32_t pick = rng_below(&r, 100);
	w->state = pick < 83 ? DB_SEED_ACTIVE : pick < 88 ? DB_SEED_LOCKED : pick < 96 ? DB_SEED_UNREGISTERED
											    : DB_SEED_STOPPED;
	w->client = (int)rng_below(&r, 254) + 1 + (rng_below(&r, 2) ? 1000 : 0);
	if (w->state == DB_SEED_UNREGISTERED)
		return;

	w->cred_serial = CRED_FIRST + (uint32_t)(((uint64_t)i + g->cred_add) % CRED_RANGE);
	int64_t reg_lo = w->opened > EPOCH_SERVICE_START ? w->opened : EPOCH_SERVICE_START;
	int64_t reg_hi = today - 12;
	w->registered_at = office_hours(&r, between(&r, reg_lo, reg_hi));
	if (w->registered_at >= g->now)
		w->registered_at = g->now - 12 * DAY;

	switch (w->state) {
	case DB_SEED_ACTIVE:
		if (pick >= 80) {	/* a few recent wrong codes, not yet locked */
			int k = 1 + (int)rng_below(&r, 3);
			int64_t last = g->now - 60 - rng_below(&r, 3 * DAY);
			add_failures(w, &r, last, k, 600);
			w->failure_count = k;
		}
		break;
	case DB_SEED_LOCKED: {
		/* locked within the last 10 days (at least an hour ago), by the
		 * threshold-th wrong code; some kept trying after the lock */
		w->locked_at = g->now - 3600 - rng_below(&r, 10 * DAY - 3600);
		w->failure_count = g->threshold;
		add_failures(w, &r, w->locked_at, g->threshold, 240);
		if (rng_below(&r, 100) < 30) {
			int extra = 1 + (int)rng_below(&r, 2);
			int64_t t = w->locked_at;
			for (int k = 0; k < extra; k++) {
				t += 60 + rng_below(&r, 1800);
				if (t >= g->now)
					break;
				w->fail[w->nfail++] = (struct fail){ .at = t, .reason = "LOCKED", .no = g->threshold };
			}
		}
		break;
	}
	case DB_SEED_STOPPED:
		w->stopped_at = between(&r, w->registered_at + DAY, g->now - 3600);
		break;
	default:
		break;
	}
}

/* Credential ID of a row that has one; 0 or -1 with err. */
static int row_credential(struct row *w, struct otp_err *err)
{
	if (w->state == DB_SEED_UNREGISTERED) {
		w->credential[0] = '\0';
		return 0;
	}
	return otp_credential_make(DB_SEED_CREDENTIAL_PREFIX, w->cred_serial, w->credential, err);
}

static void put_contract(struct obuf *o, const struct row *w)
{
	const struct seed_branch *br = &branches[w->b];
	ob_str(o, br->code);
	ob_num(o, (uint64_t)w->serial, 7);
	ob_chr(o, '\t');
	ob_str(o, surnames[w->sur].kanji);
	ob_str(o, given_names[w->given].kanji);
	ob_chr(o, '\t');
	ob_str(o, surnames[w->sur].kana);
	ob_str(o, given_names[w->given].kana);
	ob_chr(o, '\t');
	ob_str(o, br->city);
	ob_str(o, br->towns[w->town]);
	ob_num(o, (uint64_t)w->chome, 0);
	ob_str(o, "丁目");
	ob_num(o, (uint64_t)w->ban, 0);
	ob_str(o, "番");
	ob_num(o, (uint64_t)w->go, 0);
	ob_str(o, "号");
	if (w->building >= 0) {
		ob_str(o, " ");
		ob_str(o, br->towns[w->town]);
		ob_str(o, buildings[w->building]);
		ob_chr(o, ' ');
		ob_num(o, (uint64_t)w->room, 0);
		ob_str(o, "号室");
	}
	ob_chr(o, '\t');
	ob_str(o, br->code);
	ob_chr(o, '\t');
	ob_date(o, w->opened);
	ob_chr(o, '\n');
}

static void put_contract_id(struct obuf *o, const struct row *w)
{
	ob_str(o, branches[w->b].code);
	ob_num(o, (uint64_t)w->serial, 7);
}

static void put_token(struct obuf *o, const struct gen *g, long i, const struct row *w)
{
	ob_num(o, (uint64_t)(g->token_base + i), 0);
	ob_chr(o, '\t');
	put_contract_id(o, w);
	ob_chr(o, '\t');
	ob_str(o, w->credential[0] ? w->credential : "\\N");
	ob_chr(o, '\t');
	ob_str(o, state_names[w->state]);
	ob_chr(o, '\t');
	ob_num(o, (uint64_t)w->failure_count, 0);
	ob_chr(o, '\t');
	ob_ts_or_null(o, w->locked_at);
	ob_chr(o, '\t');
	ob_ts_or_null(o, w->registered_at);
	ob_chr(o, '\t');
	ob_ts_or_null(o, w->stopped_at);
	ob_chr(o, '\n');
}

static void put_failures(struct obuf *o, const struct gen *g, long i, const struct row *w)
{
	for (int k = 0; k < w->nfail; k++) {
		const struct fail *f = &w->fail[k];
		ob_num(o, (uint64_t)(g->token_base + i), 0);
		ob_chr(o, '\t');
		put_contract_id(o, w);
		ob_chr(o, '\t');
		ob_ts(o, f->at);
		ob_chr(o, '\t');
		ob_str(o, f->reason);
		ob_chr(o, '\t');
		if (f->no)
			ob_num(o, (uint64_t)f->no, 0);
		else
			ob_str(o, "\\N");
		ob_chr(o, '\t');
		/* documentation address ranges (RFC 5737) */
		ob_str(o, w->client >= 1000 ? "ib-app 198.51.100." : "ib-web 203.0.113.");
		ob_num(o, (uint64_t)(w->client % 1000), 0);
		ob_chr(o, '\n');
	}
}

/* ---- the load ---------------------------------------------------------- */

struct seed_run {
	struct db *db;
	const struct db_seed_opts *opts;
	struct db_seed_summary *sum;
	struct gen g;
	struct obuf ob;
	struct timespec t0;
	long *locked;		/* row numbers of LOCKED tokens */
	long nlocked;
	long locked_in_012;	/* the first LOCKED row of branch 012, -1 if none */
	char **rebuild;		/* bulk mode: statements that restore dropped objects */
	int nrebuild;
};

static double elapsed(const struct seed_run *s)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - s->t0.tv_sec) + (double)(t.tv_nsec - s->t0.tv_nsec) / 1e9;
}

static void progress(struct seed_run *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct seed_run *s, const char *fmt, ...)
{
	if (!s->opts->progress)
		return;
	char line[256];
	int n = snprintf(line, sizeof line, "%6.2fs ", elapsed(s));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	s->opts->progress(s->opts->progress_arg, line);
}

static int copy_flush(struct seed_run *s, struct otp_err *err)
{
	if (s->ob.len && PQputCopyData(s->db->conn, s->ob.p, (int)s->ob.len) != 1)
		return db_fail(s->db, NULL, err);
	s->ob.len = 0;
	return 0;
}

/* Finish a COPY: on success check the server's row count; on a client-side
 * failure (abort_msg) abort it so the server rolls the statement back. */
static int copy_end(struct seed_run *s, const char *abort_msg, long expect, struct otp_err *err)
{
	PGconn *c = s->db->conn;
	int rc = 0;
	if (PQputCopyEnd(c, abort_msg) != 1)
		return db_fail(s->db, NULL, err);
	PGresult *res;
	while ((res = PQgetResult(c))) {
		if (rc == 0 && !abort_msg) {
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				rc = db_fail(s->db, res, err);
				continue;
			}
			if (strtol(PQcmdTuples(res), NULL, 10) != expect)
				rc = otp_err_set(err, OTP_ERR_INTERNAL, "COPY stored %s rows, expected %ld",
						 PQcmdTuples(res), expect);
		}
		PQclear(res);
	}
	return abort_msg ? -1 : rc;
}

/* What one COPY pass writes for row i: returns the number of table rows
 * (0 or more), or -1 with err. */
typedef long (*put_fn)(struct seed_run *s, long i, struct row *w, struct otp_err *err);

static long put_contract_row(struct seed_run *s, long i, struct row *w, struct otp_err *err)
{
	(void)i;
	(void)err;
	put_contract(&s->ob, w);
	return 1;
}

static long put_token_row(struct seed_run *s, long i, struct row *w, struct otp_err *err)
{
	if (row_credential(w, err) != 0)
		return -1;
	put_token(&s->ob, &s->g, i, w);
	s->sum->state[w->state]++;
	if (w->state == DB_SEED_LOCKED) {
		s->locked[s->nlocked++] = i;
		if (s->locked_in_012 < 0 && strcmp(branches[w->b].code, "012") == 0)
			s->locked_in_012 = i;
	}
	return 1;
}

static long put_failure_rows(struct seed_run *s, long i, struct row *w, struct otp_err *err)
{
	(void)err;
	put_failures(&s->ob, &s->g, i, w);
	s->sum->failures += w->nfail;
	return w->nfail;
}

/* The COPY passes, in load order (tokens reference contracts, failures tokens). */
static const struct copy_pass {
	const char *name;
	const char *copy_sql;
	put_fn put;
} passes[] = {
	{ "contracts",
	  "COPY otp.contract (contract_id, name_kanji, name_kana, address, branch_code, opened) FROM STDIN (FREEZE)",
	  put_contract_row },
	{ "tokens",
	  "COPY otp.token (token_id, contract_id, credential_id, state, failure_count, locked_at, registered_at,"
	  " stopped_at) FROM STDIN (FREEZE)",
	  put_token_row },
	{ "failures", "COPY otp.failure (token_id, contract_id, at, reason, failure_no, client) FROM STDIN (FREEZE)",
	  put_failure_rows },
};
#define NPASS ((int)(sizeof passes / sizeof passes[0]))

/* Stream one table: every generated row through the pass's put function,
 * flushed to the server in OBUF_FLUSH chunks; checks the stored row count. */
static int copy_pass(struct seed_run *s, const struct copy_pass *p, struct otp_err *err)
{
	PGresult *res = PQexec(s->db->conn, p->copy_sql);
	if (!res || PQresultStatus(res) != PGRES_COPY_IN)
		return db_fail(s->db, res, err);
	PQclear(res);

	const struct gen *g = &s->g;
	struct row w;
	long i = 0, rows = 0;
	for (int b = 0; b < NBRANCH; b++) {
		for (long serial = 1; serial <= g->count[b]; serial++, i++) {
			gen_row(g, i, b, serial, &w);
			long n = p->put(s, i, &w, err);
			if (n < 0)
				return copy_end(s, "row generation failed", 0, err);
			rows += n;
			if (s->ob.len >= OBUF_FLUSH && copy_flush(s, err) != 0)
				return copy_end(s, "send failed", 0, err);
			if ((i + 1) % 100000 == 0)
				progress(s, "%s %ld/%ld", p->name, i + 1, g->n);
		}
	}
	if (copy_flush(s, err) != 0)
		return copy_end(s, "send failed", 0, err);
	if (copy_end(s, NULL, rows, err) != 0)
		return -1;
	progress(s, "%s: %ld rows", p->name, rows);
	return 0;
}

/* One value of a one-row query. */
static int query_value(struct db *db, const char *sql, int nparams, const char *const *params, char *out,
		       size_t size, struct otp_err *err)
{
	PGresult *res = db_exec(db, sql, nparams, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "expected one row from: %.80s", sql);
	}
	db_get(res, 0, 0, out, size);
	PQclear(res);
	return 0;
}

/* Run the statement that `format_sql` (a SELECT format(...) over params)
 * builds on the server. */
static int exec_formatted(struct db *db, const char *format_sql, int nparams, const char *const *params,
			  struct otp_err *err)
{
	char *stmt = NULL;
	PGresult *res = db_exec(db, format_sql, nparams, params, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "could not build: %.80s", format_sql);
	}
	stmt = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!stmt)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	int rc = db_command(db, stmt, err);
	OPENSSL_cleanse(stmt, strlen(stmt));	/* may carry a SCRAM verifier */
	free(stmt);
	return rc;
}

static int check_superuser(struct db *db, struct otp_err *err)
{
	char v[8];
	if (query_value(db, "SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)",
			0, NULL, v, sizeof v, err) != 0)
		return -1;
	if (v[0] != 't') {
		otp_err_set(err, OTP_ERR_REFUSED, "demo seed needs a superuser connection (connected as %s)",
			    PQuser(db->conn));
		otp_err_hint(err, "run it with the private cluster's superuser: . var/pgenv (and unset OTP_USER)");
		return -1;
	}
	return 0;
}

static const char *const loaded_tables = "{otp.contract,otp.token,otp.failure}";

/* The tables TRUNCATE ... CASCADE empties besides ours (rows referencing
 * contracts or tokens: requests, pending credentials, ...), each with the
 * statements that save and restore its rows that reference none of the
 * emptied tables (e.g. imported credential stock with contract_id NULL), so
 * --reset removes exactly the demo data and what depends on it. Every name
 * is quoted by the server (regclass, format('%I')). */
static const char *const cascade_sql =
	"WITH RECURSIVE r(rel) AS ("
	"  SELECT unnest('{otp.failure,otp.fraud_hold,otp.token,otp.contract}'::regclass[])"
	"  UNION SELECT c.conrelid FROM pg_constraint c JOIN r ON c.confrelid = r.rel WHERE c.contype = 'f'),"
	" fk AS (SELECT c.conrelid AS rel,"
	"          '(' || (SELECT string_agg(format('%I IS NULL', a.attname), ' OR ') FROM pg_attribute a"
	"                  WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)) || ')' AS nullable"
	"        FROM pg_constraint c"
	"        WHERE c.contype = 'f' AND c.conrelid IN (SELECT rel FROM r) AND c.confrelid IN (SELECT rel FROM r)"
	"          AND c.conrelid <> ALL ('{otp.failure,otp.fraud_hold,otp.token,otp.contract}'::regclass[])),"
	" t AS (SELECT fk.rel, string_agg(fk.nullable, ' AND ') AS keep,"
	"         (SELECT string_agg(format('%I', attname), ', ' ORDER BY attnum) FROM pg_attribute"
	"          WHERE attrelid = fk.rel AND attnum > 0 AND NOT attisdropped AND attgenerated = '') AS cols,"
	"         'seed_keep_' || row_number() OVER (ORDER BY fk.rel::regclass::text) AS tmp"
	"       FROM fk GROUP BY fk.rel)"
	" SELECT (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
	"         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel) AS name,"
	"   format('CREATE TEMP TABLE %I ON COMMIT DROP AS SELECT %s FROM %s WHERE %s', tmp, cols, rel::regclass, keep),"
	"   format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM pg_temp.%I', rel::regclass, cols, cols, tmp)"
	" FROM t ORDER BY 1";

/* Empty the demo tables and everything that references them, keeping the
 * rows of those other tables that reference no demo data. */
static int truncate_demo(struct seed_run *s, struct otp_err *err)
{
	PGresult *res = db_exec(s->db, cascade_sql, 0, NULL, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int n = PQntuples(res);
	long *kept = calloc((size_t)n + 1, sizeof *kept);
	if (!kept) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	int rc = 0;
	for (int k = 0; rc == 0 && k < n; k++) {
		PGresult *r = db_exec(s->db, PQgetvalue(res, k, 1), 0, NULL, PGRES_COMMAND_OK, err);
		if (!r)
			rc = -1;
		else
			kept[k] = strtol(PQcmdTuples(r), NULL, 10);
		PQclear(r);
	}
	if (rc == 0)
		rc = db_command(s->db, "TRUNCATE otp.failure, otp.fraud_hold, otp.token, otp.contract CASCADE", err);
	size_t len = (size_t)snprintf(s->sum->truncated, sizeof s->sum->truncated, "%s",
				      "otp.contract, otp.failure, otp.fraud_hold, otp.token");
	for (int k = 0; rc == 0 && k < n; k++) {
		if (kept[k] > 0)
			rc = db_command(s->db, PQgetvalue(res, k, 2), err);
		if (len < sizeof s->sum->truncated)
			len += (size_t)snprintf(s->sum->truncated + len, sizeof s->sum->truncated - len,
						kept[k] ? ", %s (kept %ld unrelated rows)" : ", %s", PQgetvalue(res, k, 0),
						kept[k]);
	}
	free(kept);
	PQclear(res);
	if (!s->opts->reset)
		s->sum->truncated[0] = '\0';	/* they were empty: nothing to report */
	else if (rc == 0)
		progress(s, "reset: truncated %s", s->sum->truncated);
	return rc;
}

static int refuse_if_seeded(struct seed_run *s, struct otp_err *err)
{
	/* SHARE ROW EXCLUSIVE conflicts with itself: two seeds cannot both see "empty" */
	if (db_command(s->db, "LOCK TABLE otp.contract IN SHARE ROW EXCLUSIVE MODE", err) != 0)
		return -1;
	char v[32];
	if (query_value(s->db, "SELECT count(*) FROM otp.contract", 0, NULL, v, sizeof v, err) != 0)
		return -1;
	if (strcmp(v, "0") != 0) {
		otp_err_set(err, OTP_ERR_REFUSED, "the database already has %s contracts; nothing was changed", v);
		otp_err_hint(err, "use --reset to replace contracts, tokens, failures and fraud holds");
		return -1;
	}
	return 0;
}

static const struct db_stmt S_BRANCH = {
	"seed_branch",
	"INSERT INTO otp.branch (code, name, name_en, head_office, active) VALUES ($1, $2, $3, $4, true)"
	" ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en,"
	" head_office = EXCLUDED.head_office, active = true",
	4,
};

static int upsert_branches(struct seed_run *s, struct otp_err *err)
{
	for (int b = 0; b < NBRANCH; b++) {
		const char *p[4] = { branches[b].code, branches[b].name, branches[b].name_en,
				     branches[b].head_office ? "t" : "f" };
		PGresult *res = db_exec_stmt(s->db, &S_BRANCH, p, PGRES_COMMAND_OK, err);
		if (!res)
			return -1;
		PQclear(res);
	}
	s->sum->branches = NBRANCH;
	return 0;
}

/* Token IDs come from the table's own sequence: reserve a block of n. The
 * table lock taken before keeps other writers out meanwhile. */
static int reserve_token_ids(struct seed_run *s, struct otp_err *err)
{
	char v[32], n[32];
	snprintf(n, sizeof n, "%ld", s->g.n);
	const char *p[1] = { n };
	if (query_value(s->db,
			"WITH q AS (SELECT pg_get_serial_sequence('otp.token', 'token_id') AS seq),"
			" b AS (SELECT nextval(seq) AS base FROM q)"
			" SELECT base FROM b, q, LATERAL setval(seq, base + greatest($1::bigint, 1) - 1)",
			1, p, v, sizeof v, err) != 0)
		return -1;
	s->g.token_base = strtoll(v, NULL, 10);
	return 0;
}

static void free_rebuild(struct seed_run *s)
{
	for (int k = 0; k < s->nrebuild; k++)
		free(s->rebuild[k]);
	free(s->rebuild);
	s->rebuild = NULL;
	s->nrebuild = 0;
}

/* Bulk mode: drop the foreign keys of the loaded tables and their indexes
 * that back no constraint, remembering the statements that recreate them.
 * Both statements come from the catalog (pg_get_constraintdef/indexdef).
 * Not carried over (the schema uses none on these objects): comments, CLUSTER
 * marks, per-column statistics targets and non-default tablespaces. */
static int drop_secondary(struct seed_run *s, struct otp_err *err)
{
	const char *p[1] = { loaded_tables };
	PGresult *res = db_exec(s->db,
		"SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),"
		"       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname,"
		"              pg_get_constraintdef(oid)), 1 AS ord, conname::text AS what"
		"  FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY ($1::regclass[])"
		" UNION ALL "
		"SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 2,"
		"       i.indexrelid::regclass::text"
		"  FROM pg_index i WHERE i.indrelid = ANY ($1::regclass[])"
		"   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
		" ORDER BY 3, 4",
		1, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	int n = PQntuples(res);
	s->rebuild = calloc((size_t)n + 1, sizeof *s->rebuild);
	if (!s->rebuild) {
		PQclear(res);
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
	}
	for (int k = 0; k < n; k++) {
		if (db_command(s->db, PQgetvalue(res, k, 0), err) != 0) {
			PQclear(res);
			return -1;
		}
		if (!(s->rebuild[s->nrebuild++] = strdup(PQgetvalue(res, k, 1)))) {
			PQclear(res);
			return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");
		}
	}
	PQclear(res);
	progress(s, "bulk: dropped %d foreign keys and secondary indexes", n);
	return 0;
}

/* Recreate (indexes first, then foreign keys: each validation then uses them). */
static int recreate_secondary(struct seed_run *s, struct otp_err *err)
{
	if (db_command(s->db, "SET LOCAL maintenance_work_mem = '256MB'", err) != 0)
		return -1;
	for (int k = s->nrebuild - 1; k >= 0; k--) {
		if (db_command(s->db, s->rebuild[k], err) != 0)
			return -1;
		progress(s, "bulk: %.70s", s->rebuild[k]);
	}
	return 0;
}

static const struct db_stmt S_HOLD = {
	"seed_fraud_hold",
	"INSERT INTO otp.fraud_hold (contract_id, reason, set_by, set_at)"
	" SELECT $1, $2, 'demo_helpdesk', locked_at + $3::int * interval '1 second'"
	" FROM otp.token WHERE contract_id = $1",
	3,
};

/* A couple of LOCKED contracts get an open fraud hold (one in 012 when it has
 * a locked token), so the demo shows an unlock refused by a hold. */
static int add_fraud_holds(struct seed_run *s, struct otp_err *err)
{
	long want = 2 + s->g.n / 20000;
	if (want > s->nlocked)
		want = s->nlocked;
	struct rng r;
	rng_stream(&r, s->g.seed, 0xF4A0D);
	for (long k = 0; k < want; k++) {
		long i = k == 0 && s->locked_in_012 >= 0 ? s->locked_in_012 : s->locked[k * s->nlocked / want];
		if (k > 0 && i == s->locked_in_012)
			continue;
		struct row w;
		int b = 0;
		long first = 0;
		while (i >= first + s->g.count[b])
			first += s->g.count[b++];
		gen_row(&s->g, i, b, i - first + 1, &w);
		char id[16], after[16];
		snprintf(id, sizeof id, "%s%07ld", branches[b].code, w.serial);
		/* set by the helpdesk between a minute after the lock and now */
		int64_t room = s->g.now - w.locked_at - 60;
		int64_t delay = room > 1 ? 60 + (int64_t)(rng_next(&r) % (uint64_t)room) : 0;
		snprintf(after, sizeof after, "%lld", (long long)delay);
		const char *p[3] = { id, hold_reasons[rng_below(&r, NHOLD_REASON)], after };
		PGresult *res = db_exec_stmt(s->db, &S_HOLD, p, PGRES_COMMAND_OK, err);
		if (!res)
			return -1;
		s->sum->fraud_holds += strtol(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	return 0;
}

/* Create the login role when missing (password = login name, as a SCRAM
 * verifier made here), grant its group, upsert its staff row. A role made
 * meanwhile by a concurrent seed in another database counts as existing. */
static int ensure_login(struct seed_run *s, const struct db_seed_login *l, struct otp_err *err)
{
	struct db *db = s->db;
	const char *p1[1] = { l->login };
	PGresult *res = db_exec(db, "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", 1, p1, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	bool exists = PQntuples(res) == 1, can_login = exists && db_get_bool(res, 0, 0);
	PQclear(res);

	if (!exists) {
		char *scram = PQencryptPasswordConn(db->conn, l->login, l->login, "scram-sha-256");
		if (!scram)
			return db_fail(db, NULL, err);
		const char *p2[2] = { l->login, scram };
		int rc = db_command(db, "SAVEPOINT seed_role", err);
		if (rc == 0)
			rc = exec_formatted(db, "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)",
					    2, p2, err);
		OPENSSL_cleanse(scram, strlen(scram));
		PQfreemem(scram);
		if (rc != 0) {
			bool raced = strcmp(err->sqlstate, "42710") == 0 || strcmp(err->sqlstate, "23505") == 0;
			if (!raced)
				return -1;
			if (db_command(db, "ROLLBACK TO SAVEPOINT seed_role", err) != 0)
				return -1;
		} else {
			s->sum->roles_created++;
		}
		if (db_command(db, "RELEASE SAVEPOINT seed_role", err) != 0)
			return -1;
	} else if (!can_login) {
		if (exec_formatted(db, "SELECT format('ALTER ROLE %I LOGIN', $1::text)", 1, p1, err) != 0)
			return -1;
	}
	const char *p3[2] = { l->group, l->login };
	if (exec_formatted(db, "SELECT format('GRANT %I TO %I', $1::text, $2::text)", 2, p3, err) != 0)
		return -1;
	const char *p4[3] = { l->login, l->display_name, l->branch };
	res = db_exec(db,
		      "INSERT INTO otp.staff (login, display_name, branch_code) VALUES ($1, $2, $3)"
		      " ON CONFLICT (login) DO UPDATE SET display_name = EXCLUDED.display_name,"
		      " branch_code = EXCLUDED.branch_code, active = true",
		      3, p4, PGRES_COMMAND_OK, err);
	if (!res)
		return -1;
	PQclear(res);
	s->sum->staff++;
	return 0;
}

static int audit_seed(struct seed_run *s, struct otp_err *err)
{
	const struct db_seed_summary *m = s->sum;
	char details[768];
	snprintf(details, sizeof details,
		 "{\"contracts\": %ld, \"seed\": %llu, \"reset\": %s, \"tokens\": {\"ACTIVE\": %ld, \"LOCKED\": %ld,"
		 " \"UNREGISTERED\": %ld, \"STOPPED\": %ld}, \"failures\": %ld, \"fraud_holds\": %ld,"
		 " \"branches\": %d, \"staff\": %d, \"roles_created\": %d, \"bulk\": %s}",
		 m->contracts, (unsigned long long)s->g.seed, s->opts->reset ? "true" : "false",
		 m->state[DB_SEED_ACTIVE], m->state[DB_SEED_LOCKED], m->state[DB_SEED_UNREGISTERED],
		 m->state[DB_SEED_STOPPED], m->failures, m->fraud_holds, m->branches, m->staff, m->roles_created,
		 m->bulk ? "true" : "false");
	const char *p[1] = { details };
	PGresult *res = db_exec(s->db, "SELECT otp.audit('demo.seed','success',NULL,NULL,NULL,NULL,NULL, $1::jsonb)",
				1, p, PGRES_TUPLES_OK, err);
	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

static int seed_in_transaction(struct seed_run *s, struct otp_err *err)
{
	struct db_seed_summary *sum = s->sum;
	char v[16];
	if (query_value(s->db, "SELECT lock_threshold FROM otp.policy", 0, NULL, v, sizeof v, err) != 0) {
		if (strcmp(err->sqlstate, "42P01") == 0)
			otp_err_hint(err, "is the schema there? run: otpctl db migrate");
		return -1;
	}
	sum->lock_threshold = atoi(v);
	if (sum->lock_threshold < 1 || sum->lock_threshold > MAX_FAILS - 3)
		return otp_err_set(err, OTP_ERR_INTERNAL, "unexpected lock threshold %s", v);

	/* Truncate even when empty: COPY FREEZE needs tables truncated in this
	 * transaction, and frozen rows never need their hint bits set later. */
	if ((!s->opts->reset && refuse_if_seeded(s, err) != 0) || truncate_demo(s, err) != 0)
		return -1;
	if (upsert_branches(s, err) != 0)
		return -1;

	gen_init(&s->g, s->opts->contracts, s->opts->seed, s->opts->now ? s->opts->now : time(NULL),
		 sum->lock_threshold);
	if (reserve_token_ids(s, err) != 0)
		return -1;
	sum->contracts = s->g.n;
	s->locked = malloc(((size_t)s->g.n + 1) * sizeof *s->locked);
	s->ob.cap = OBUF_FLUSH + 64 * 1024;	/* a flush happens before a row could overflow */
	s->ob.p = malloc(s->ob.cap);
	if (!s->locked || !s->ob.p)
		return otp_err_set(err, OTP_ERR_INTERNAL, "out of memory");

	sum->bulk = s->opts->bulk == DB_SEED_BULK_ON ||
		    (s->opts->bulk == DB_SEED_BULK_AUTO && s->g.n >= DB_SEED_BULK_MIN);
	if (sum->bulk && drop_secondary(s, err) != 0)
		return -1;
	for (int k = 0; k < NPASS; k++)
		if (copy_pass(s, &passes[k], err) != 0)
			return -1;
	if (sum->bulk && recreate_secondary(s, err) != 0)
		return -1;
	if (add_fraud_holds(s, err) != 0)
		return -1;
	for (int k = 0; k < NLOGIN; k++)
		if (ensure_login(s, &logins[k], err) != 0)
			return -1;
	if (db_command(s->db, "ANALYZE otp.contract, otp.token, otp.failure", err) != 0)
		return -1;
	progress(s, "analyzed");
	return audit_seed(s, err);
}

int db_seed_run(struct db *db, const struct db_seed_opts *opts, struct db_seed_summary *out,
		struct otp_err *err)
{
	otp_err_clear(err);
	memset(out, 0, sizeof *out);
	if (opts->contracts < 0 || opts->contracts > DB_SEED_MAX_CONTRACTS)
		return otp_err_set(err, OTP_ERR_USAGE, "number of contracts %ld is outside 0..%ld", opts->contracts,
				   DB_SEED_MAX_CONTRACTS);
	if (!db_connected(db))
		return otp_err_set(err, OTP_ERR_CONNLOST, "not connected to the database");
	if (check_superuser(db, err) != 0)
		return -1;

	struct seed_run s = { .db = db, .opts = opts, .sum = out, .locked_in_012 = -1 };
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	int rc = db_command(db, "BEGIN", err);
	if (rc == 0) {
		rc = seed_in_transaction(&s, err);
		if (rc == 0)
			rc = db_command(db, "COMMIT", err);
		if (rc != 0 && db_connected(db)) {
			struct otp_err ignored;
			db_command(db, "ROLLBACK", &ignored);
		}
	}
	free_rebuild(&s);
	free(s.locked);
	free(s.ob.p);
	out->elapsed = elapsed(&s);
	if (rc != 0) {
		/* nothing of this run is left: say so in the summary too */
		double t = out->elapsed;
		memset(out, 0, sizeof *out);
		out->elapsed = t;
		return -1;
	}
	progress(&s, "committed");
	return 0;
}
