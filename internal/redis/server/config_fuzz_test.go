package server

import (
	"errors"
	"strings"
	"testing"
)

// FuzzLoadConfig feeds arbitrary configuration text and command-line
// options to the parser: it must never panic, and whatever it accepts
// must render with CONFIG GET and load back from its own text.
func FuzzLoadConfig(f *testing.F) {
	f.Add("port 6380\nbind 127.0.0.1 -::1\nsave 900 1 300 10\n", "--replicaof h 1 --save")
	f.Add("slaveof 10.0.0.1 6379\nclient-output-buffer-limit replica 256mb 64mb 60\n", "--maxmemory 1gb")
	f.Add("requirepass \"a\\x41\\n\"\nmasterauth 'it\\'s'\ninclude /nonexistent/*.conf\n", "-")
	f.Add("save \"\"\nnotify-keyspace-events KEA\nshutdown-on-sigint save now\nlatency-tracking-info-percentiles 1.5 99\n", "--hz --port 1")
	f.Add("maxmemory-clients 10%\nunixsocketperm 777\nhz 1000\noom-score-adj-values \"1 2 3\"\n", "--foo --bar")
	f.Fuzz(func(t *testing.T, content, opts string) {
		cfg := DefaultConfig()
		ld := &loadState{
			readFile: func(string) ([]byte, error) { return nil, errors.New("no include while fuzzing") },
			glob:     func(string) ([]string, error) { return nil, nil },
		}
		options, _ := buildOptions(strings.Fields(opts), false)
		if err := loadConfigString(cfg, content+"\n"+options, ld); err != nil {
			return
		}
		var b strings.Builder
		for _, d := range directives {
			if d.name == "replicaof" && cfg.ReplicaOf == "" || d.name == "dir" {
				continue
			}
			b.WriteString(d.name + " " + quoteRepr(d.getText(cfg)) + "\n")
		}
		back := DefaultConfig()
		if err := loadConfigString(back, b.String(), &loadState{readFile: ld.readFile, glob: ld.glob}); err != nil {
			t.Fatalf("accepted config does not load back: %v\n%s", err, b.String())
		}
		for _, d := range directives {
			if d.name == "dir" {
				continue
			}
			if g, w := d.getText(back), d.getText(cfg); g != w {
				t.Fatalf("%s: %q loads back as %q", d.name, w, g)
			}
		}
	})
}
