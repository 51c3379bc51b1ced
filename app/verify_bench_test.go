package app

// Benchmarks of verification against a real SQLite store, and of its parts,
// so that a profile of the HTTP load test (bench/verify.sh) can be read
// against what each step costs on its own:
//
//	go test -run '^$' -bench . -benchtime 2s ./app/
//	go test -run '^$' -bench 'Verify/hit$' -benchtime 5s -cpuprofile /tmp/verify.pprof ./app/
//	go tool pprof -top /tmp/verify.pprof
//
// The register holds BENCH_VERIFY_N credentials (default 100000), loaded
// through ImportCredentials from an in-memory CSV like bench/gencsv's.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"ethicsportal/auth"
	"ethicsportal/config"
	"ethicsportal/store/sqlite"
)

// benchConfig is the configuration the benchmarks run with: defaults, the
// data dir given, no TOTP, generous limits.
func benchConfig(tb testing.TB, dataDir string) config.Config {
	tb.Helper()
	vars := map[string]string{
		"PORTAL_DATA_DIR":     dataDir,
		"PORTAL_REQUIRE_TOTP": "false",
		"PORTAL_RATE_VERIFY":  "1000000/s",
		"PORTAL_BASE_URL":     "http://portal.test",
	}
	l := config.NewLoader(flag.NewFlagSet("bench", flag.ContinueOnError), func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
	cfg, err := l.Load()
	if err != nil {
		tb.Fatalf("config: %v", err)
	}
	return cfg
}

// newBenchApp opens a fresh SQLite store in a temp dir and an App on it.
func newBenchApp(tb testing.TB) *App {
	tb.Helper()
	dir := tb.TempDir()
	cfg := benchConfig(tb, dir)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "portal.db"))
	if err != nil {
		tb.Fatal(err)
	}
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), WithStore(st))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

var (
	benchSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
		"郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "欧阳", "司马"}
	benchGiven     = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚玉萍红玲芬建国文辉鹏飞斌宇浩凯健俊帆晨阳欣怡佳琪雪梅婷颖倩晶丹慧琳瑶思雨萱涵子轩睿博昊然诺嘉豪志成海波永林春燕")
	benchKinds     = []string{"kindergarten", "primary", "junior_secondary", "senior_secondary", "vocational", "vocational_practice", "higher"}
	benchDistricts = []string{"110101", "110108", "310104", "320102", "330106", "440106", "440304", "510107", "610104", "420106"}
)

// benchPair is a registered certificate number and its holder's name.
type benchPair struct{ no, name string }

// benchCSV returns n synthetic credentials as CSV, deterministically, and
// their (number, name) pairs. With ids every row has a valid, unique
// resident ID number.
func benchCSV(n int, ids bool) ([]byte, []benchPair) {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"certificate_no", "holder_name", "id_number", "kind", "subject", "issuer", "issued_on", "registered_until"})
	pairs := make([]benchPair, 0, n)
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		name := benchSurnames[rng.IntN(len(benchSurnames))] + string(benchGiven[rng.IntN(len(benchGiven))])
		if rng.IntN(10) < 7 {
			name += string(benchGiven[rng.IntN(len(benchGiven))])
		}
		district := benchDistricts[rng.IntN(len(benchDistricts))]
		issued := base.AddDate(0, 0, rng.IntN(9700))
		kind := rng.IntN(len(benchKinds))
		no := issued.Format("2006") + district + strconv.Itoa(kind+1) + fmt.Sprintf("%06d", i%1000000)
		id := ""
		if ids {
			// Unique by construction: the sequence and birth date come from i.
			birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%12000)
			first17 := district + birth.Format("20060102") + fmt.Sprintf("%03d", (i/12000)%1000)
			sum := 0
			for k := range 17 {
				sum += int(first17[k]-'0') * idWeights[k]
			}
			id = first17 + string(idCheck[sum%11])
		}
		_ = w.Write([]string{no, name, id, benchKinds[kind], "数学", "教育局", issued.Format("2006-01-02"),
			issued.AddDate(5, 0, -1).Format("2006-01-02")})
		pairs = append(pairs, benchPair{no, name})
	}
	w.Flush()
	return buf.Bytes(), pairs
}

func benchN(tb testing.TB, def int) int {
	if s := os.Getenv("BENCH_VERIFY_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			tb.Fatalf("BENCH_VERIFY_N: want a positive number, got %q", s)
		}
		return n
	}
	return def
}

// BenchmarkVerify measures Verify end to end (hits, misses, and hits from
// GOMAXPROCS goroutines at once) and then each of its steps alone. The
// register is loaded once for all sub-benchmarks.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	a := newBenchApp(b)
	n := benchN(b, 100000)
	data, pairs := benchCSV(n, true)
	start := time.Now()
	rep, err := a.ImportCredentials(ctx, ActorCLI, bytes.NewReader(data), ImportOptions{Encoding: "utf-8"})
	if err != nil {
		b.Fatal(err)
	}
	if rep.Inserted != n {
		b.Fatalf("imported %d of %d rows: %+v", rep.Inserted, n, rep.Rejected[:min(3, len(rep.Rejected))])
	}
	b.Logf("loaded %d credentials in %s", n, time.Since(start).Round(time.Millisecond))
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func() benchPair { return pairs[rng.IntN(len(pairs))] }

	// Sanity: a hit is a match, a miss is not.
	if v, err := a.Verify(ctx, pairs[0].no, pairs[0].name); err != nil || !v.Match {
		b.Fatalf("Verify(%v) = %+v, %v; want a match", pairs[0], v, err)
	}

	b.Run("hit", func(b *testing.B) {
		for b.Loop() {
			p := pick()
			if _, err := a.Verify(ctx, p.no, p.name); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		for b.Loop() {
			p := pick()
			if _, err := a.Verify(ctx, p.no[:len(p.no)-6]+"999999", p.name); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit_parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 5))
			for pb.Next() {
				p := pairs[r.IntN(len(pairs))]
				if _, err := a.Verify(ctx, p.no, p.name); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	// The steps of verify, in the order it takes them.
	b.Run("part=normalise_no", func(b *testing.B) {
		for b.Loop() {
			if _, err := NormaliseCertificateNo(pick().no); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("part=fold_name", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.foldName("name", pick().name); err != nil {
				b.Fatal(err)
			}
		}
	})
	// store_credential and store_bans are the two reads verify made before
	// CredentialWithBans, for comparison.
	b.Run("part=store_credential", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Store().CredentialByNumber(ctx, pick().no); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("part=store_credential_miss", func(b *testing.B) {
		for b.Loop() {
			p := pick()
			if _, err := a.Store().CredentialByNumber(ctx, p.no[:len(p.no)-6]+"999999"); !errNotFound(err) {
				b.Fatal(err)
			}
		}
	})
	b.Run("part=store_credential_with_bans", func(b *testing.B) {
		for b.Loop() { // the one read verify makes
			if _, _, err := a.Store().CredentialWithBans(ctx, pick().no); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("part=store_credential_with_bans_miss", func(b *testing.B) {
		for b.Loop() { // reads a decoy row, so it should cost what a hit does
			p := pick()
			if _, _, err := a.Store().CredentialWithBans(ctx, p.no[:len(p.no)-6]+"999999"); !errNotFound(err) {
				b.Fatal(err)
			}
		}
	})
	c, err := a.Store().CredentialByNumber(ctx, pairs[0].no)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("part=store_bans", func(b *testing.B) {
		for b.Loop() { // a linked holder with no bans, the common case
			if _, err := a.Store().BansForPerson(ctx, c.PersonID); err != nil {
				b.Fatal(err)
			}
		}
	})
	now := time.Now().UTC().Truncate(time.Second)
	b.Run("part=sign_receipt", func(b *testing.B) {
		for b.Loop() {
			p := pick()
			// Status is left out: its type is the receipt format's business,
			// and a dozen bytes more or less do not change the cost.
			claims := ReceiptClaims{Check: checkQualification, CertificateNo: p.no, Name: p.name,
				Match: true, Eligible: true, CheckedAt: now.Format(time.RFC3339)}
			if _, err := a.signReceipt(&claims, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The Ed25519 signature alone, over a message the size of a receipt's
	// signing input: what signing costs without the JSON and base64 around
	// it (sign_receipt minus this).
	_, key := a.receiptKeys.Signer()
	msg := bytes.Repeat([]byte("x"), 420)
	b.Run("part=ed25519_sign", func(b *testing.B) {
		for b.Loop() {
			_ = ed25519.Sign(key, msg)
		}
	})
	b.Run("part=random_id", func(b *testing.B) {
		for b.Loop() {
			if _, err := auth.RandomID(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
