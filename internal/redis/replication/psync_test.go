package replication

import (
	"errors"
	"strings"
	"testing"
)

const (
	testID1 = "0123456789abcdef0123456789abcdef01234567"
	testID2 = "fedcba9876543210fedcba9876543210fedcba98"
	testID3 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
)

func isLowerHex40(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func TestNewReplID(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		id := NewReplID()
		if !isLowerHex40(id) {
			t.Fatalf("NewReplID() = %q, want 40 lowercase hex characters", id)
		}
		if seen[id] {
			t.Fatalf("NewReplID() returned %q twice", id)
		}
		seen[id] = true
	}
	if len(NoReplID) != 40 || strings.Trim(NoReplID, "0") != "" {
		t.Fatalf("NoReplID = %q, want 40 zeros", NoReplID)
	}
}

func TestIDsShiftAndClear(t *testing.T) {
	ids := IDs{ID: testID1, ID2: NoReplID, SecondOffset: -1}
	ids.Shift(1000, testID2)
	want := IDs{ID: testID2, ID2: testID1, SecondOffset: 1001}
	if ids != want {
		t.Fatalf("after Shift(1000, id2): %+v, want %+v", ids, want)
	}
	ids.Shift(5000, testID3)
	want = IDs{ID: testID3, ID2: testID2, SecondOffset: 5001}
	if ids != want {
		t.Fatalf("after second Shift: %+v, want %+v", ids, want)
	}
	ids.Clear()
	want = IDs{ID: testID3, ID2: NoReplID, SecondOffset: -1}
	if ids != want {
		t.Fatalf("after Clear: %+v, want %+v", ids, want)
	}
}

func TestShiftThenDecidePSync(t *testing.T) {
	// A replica of testID1 is promoted at offset 1000; another replica of
	// the old master, which processed up to 1000, asks PSYNC testID1 1001.
	bl := NewBacklog(1024, 0)
	bl.Append(make([]byte, 1000))
	ids := IDs{ID: testID1, ID2: NoReplID, SecondOffset: -1}
	ids.Shift(bl.End(), testID2)
	if ok, reason := DecidePSync(ids, bl, testID1, 1001); !ok {
		t.Fatalf("PSYNC old-id 1001 after promotion at 1000 refused: %s", reason)
	}
	// One that got a byte more than the promoted replica diverged.
	if ok, _ := DecidePSync(ids, bl, testID1, 1002); ok {
		t.Fatalf("PSYNC old-id 1002 after promotion at 1000 accepted")
	}
	bl.Append(make([]byte, 10))
	if ok, reason := DecidePSync(ids, bl, testID2, 1011); !ok {
		t.Fatalf("PSYNC new-id 1011 refused: %s", reason)
	}
}

func TestDecidePSync(t *testing.T) {
	// A backlog holding offsets 101..200.
	covered := NewBacklog(100, 0)
	covered.Append(make([]byte, 200))
	if covered.First() != 101 || covered.End() != 200 {
		t.Fatalf("setup: First, End = %d, %d", covered.First(), covered.End())
	}
	ids := IDs{ID: testID1, ID2: testID2, SecondOffset: 150}
	noID2 := IDs{ID: testID1, ID2: NoReplID, SecondOffset: -1}

	for _, tc := range []struct {
		name       string
		ids        IDs
		bl         *Backlog
		reqID      string
		reqOffset  int64
		partial    bool
		reasonHave []string
	}{
		{"same ID in range", ids, covered, testID1, 150, true, nil},
		{"same ID upper case", ids, covered, strings.ToUpper(testID1), 150, true, nil},
		{"same ID first byte", ids, covered, testID1, 101, true, nil},
		{"same ID end", ids, covered, testID1, 200, true, nil},
		{"same ID end+1", ids, covered, testID1, 201, true, nil},
		{"same ID before backlog", ids, covered, testID1, 100, false, []string{"lack of backlog", "100"}},
		{"same ID past end+1", ids, covered, testID1, 202, false, []string{"lack of backlog", "202"}},
		{"same ID far past", ids, covered, testID1, 1 << 40, false, []string{"lack of backlog"}},
		{"same ID negative", ids, covered, testID1, -1, false, []string{"lack of backlog"}},
		{"same ID nil backlog", ids, nil, testID1, 150, false, []string{"lack of backlog", "150"}},
		{"question mark", ids, covered, "?", -1, false, []string{"Full resync requested by replica"}},
		{"question mark in range", ids, covered, "?", 150, false, []string{"Full resync requested by replica"}},
		{"ID2 below second offset", ids, covered, testID2, 120, true, nil},
		{"ID2 upper case", ids, covered, strings.ToUpper(testID2), 120, true, nil},
		{"ID2 at second offset", ids, covered, testID2, 150, true, nil},
		{"ID2 past second offset", ids, covered, testID2, 151, false, []string{"second ID", "151", "150"}},
		{"ID2 in range but before backlog", ids, covered, testID2, 100, false, []string{"lack of backlog"}},
		{"ID2 nil backlog", ids, nil, testID2, 120, false, []string{"lack of backlog"}},
		{"unknown ID", ids, covered, testID3, 150, false, []string{"Replication ID mismatch", testID3, testID1, testID2}},
		{"unknown ID no ID2", noID2, covered, testID3, 150, false, []string{"Replication ID mismatch"}},
		{"NoReplID with unset ID2", noID2, covered, NoReplID, 150, false, nil},
		{"empty ID", ids, covered, "", 150, false, []string{"Replication ID mismatch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			partial, reason := DecidePSync(tc.ids, tc.bl, tc.reqID, tc.reqOffset)
			if partial != tc.partial {
				t.Fatalf("DecidePSync(%+v, %q, %d) partial = %v (%q), want %v", tc.ids, tc.reqID, tc.reqOffset, partial, reason, tc.partial)
			}
			if partial && reason != "" {
				t.Fatalf("partial with reason %q", reason)
			}
			if !partial && reason == "" {
				t.Fatalf("full resync without a reason")
			}
			for _, s := range tc.reasonHave {
				if !strings.Contains(reason, s) {
					t.Errorf("reason %q does not mention %q", reason, s)
				}
			}
		})
	}
}

func TestParsePSyncReply(t *testing.T) {
	for _, tc := range []struct {
		name     string
		line     string
		cachedID string
		want     PSyncReply
		wantErr  bool
		tryLater bool
	}{
		{"fullresync", "+FULLRESYNC " + testID1 + " 12345", "", PSyncReply{Full: true, ReplID: testID1, Offset: 12345}, false, false},
		{"fullresync zero", "+FULLRESYNC " + testID2 + " 0", testID1, PSyncReply{Full: true, ReplID: testID2, Offset: 0}, false, false},
		{"fullresync large", "+FULLRESYNC " + testID2 + " 9223372036854775807", "", PSyncReply{Full: true, ReplID: testID2, Offset: 1<<63 - 1}, false, false},
		{"fullresync trailing space", "+FULLRESYNC " + testID1 + " 7 ", "", PSyncReply{Full: true, ReplID: testID1, Offset: 7}, false, false},
		{"fullresync no fields", "+FULLRESYNC", "", PSyncReply{}, true, false},
		{"fullresync no offset", "+FULLRESYNC " + testID1, "", PSyncReply{}, true, false},
		{"fullresync short ID", "+FULLRESYNC abc 5", "", PSyncReply{}, true, false},
		{"fullresync long ID", "+FULLRESYNC " + testID1 + "0 5", "", PSyncReply{}, true, false},
		{"fullresync bad offset", "+FULLRESYNC " + testID1 + " x5", "", PSyncReply{}, true, false},
		{"fullresync float offset", "+FULLRESYNC " + testID1 + " 1.5", "", PSyncReply{}, true, false},
		{"fullresync overflow offset", "+FULLRESYNC " + testID1 + " 9223372036854775808", "", PSyncReply{}, true, false},
		{"fullresync extra field", "+FULLRESYNC " + testID1 + " 5 6", "", PSyncReply{}, true, false},
		{"continue with new ID", "+CONTINUE " + testID2, testID1, PSyncReply{ReplID: testID2}, false, false},
		{"continue with same ID", "+CONTINUE " + testID1, testID1, PSyncReply{ReplID: testID1}, false, false},
		{"continue without ID", "+CONTINUE", testID1, PSyncReply{ReplID: testID1}, false, false},
		{"continue with space only", "+CONTINUE ", testID1, PSyncReply{ReplID: testID1}, false, false},
		{"continue with short ID", "+CONTINUE abc", testID1, PSyncReply{ReplID: testID1}, false, false},
		{"continue to full request", "+CONTINUE", "", PSyncReply{}, true, false},
		{"continue with ID to full request", "+CONTINUE " + testID2, "", PSyncReply{}, true, false},
		{"nomasterlink", "-NOMASTERLINK Can't SYNC while not connected with my master", testID1, PSyncReply{}, true, true},
		{"loading", "-LOADING Redis is loading the dataset in memory", "", PSyncReply{}, true, true},
		{"other error", "-ERR unknown command 'PSYNC'", testID1, PSyncReply{}, true, false},
		{"ok", "+OK", testID1, PSyncReply{}, true, false},
		{"empty", "", testID1, PSyncReply{}, true, false},
		{"lowercase", "+fullresync " + testID1 + " 5", "", PSyncReply{}, true, false},
		{"bulk", "$5", "", PSyncReply{}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePSyncReply(tc.line, tc.cachedID)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParsePSyncReply(%q, %q) = %+v, want an error", tc.line, tc.cachedID, got)
				}
				if errors.Is(err, ErrTryLater) != tc.tryLater {
					t.Fatalf("errors.Is(%v, ErrTryLater) = %v, want %v", err, !tc.tryLater, tc.tryLater)
				}
				if tc.tryLater && !strings.Contains(err.Error(), tc.line) {
					t.Errorf("error %q does not carry the master's line %q", err, tc.line)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePSyncReply(%q, %q): %v", tc.line, tc.cachedID, err)
			}
			if got != tc.want {
				t.Fatalf("ParsePSyncReply(%q, %q) = %+v, want %+v", tc.line, tc.cachedID, got, tc.want)
			}
		})
	}
}

func FuzzParsePSyncReply(f *testing.F) {
	for _, s := range []string{
		"+FULLRESYNC " + testID1 + " 12345",
		"+FULLRESYNC " + testID1,
		"+FULLRESYNC",
		"+CONTINUE",
		"+CONTINUE " + testID2,
		"-NOMASTERLINK x",
		"-LOADING x",
		"-ERR x",
		"",
	} {
		f.Add(s, testID1)
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, line, cachedID string) {
		got, err := ParsePSyncReply(line, cachedID)
		if err != nil {
			if got != (PSyncReply{}) {
				t.Fatalf("error %v with a non-zero reply %+v", err, got)
			}
			return
		}
		if got.Full {
			if len(got.ReplID) != 40 {
				t.Fatalf("+FULLRESYNC accepted with ID %q", got.ReplID)
			}
			return
		}
		if cachedID == "" {
			t.Fatalf("+CONTINUE accepted for a full resync request: %q", line)
		}
		if got.ReplID != cachedID && len(got.ReplID) != 40 {
			t.Fatalf("+CONTINUE gave ID %q (cached %q)", got.ReplID, cachedID)
		}
	})
}
