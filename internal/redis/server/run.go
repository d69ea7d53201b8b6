package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
)

// Usage is printed by `replikube server --help`.
const Usage = `Usage: replikube server [/path/to/redis.conf] [options] [-]
       replikube server - (read config from stdin)
       replikube server -v or --version
       replikube server -h or --help

Examples:
       replikube server (run the server with default config)
       replikube server /etc/redis/6379.conf
       replikube server --port 7777
       replikube server --port 7777 --replicaof 127.0.0.1 8888
       replikube server /etc/myredis.conf --loglevel verbose -
       replikube server /etc/myredis.conf --loglevel verbose

Every redis.conf directive can be given as --<directive> <args...>.
`

// Run is `replikube server`: load the configuration as redis-server does,
// daemonize if asked, serve until ctx is cancelled (SIGTERM/SIGINT) or
// SHUTDOWN, then shut down gracefully. It returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 {
		switch args[0] {
		case "-v", "--version":
			fmt.Fprintf(stdout, "Redis server v=%s sha=00000000:0 malloc=go bits=%d build=replikube-%s\n", command.ServerVersion, strconv.IntSize, Version)
			return 0
		case "-h", "--help":
			fmt.Fprint(stdout, Usage)
			return 0
		}
	}
	file, overrides := ConfigArgs(args)
	cfg, err := LoadConfig(file, overrides)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if cfg.Daemonize {
		isChild, err := Daemonize(cfg)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if !isChild {
			return 0
		}
	}
	// redis-server changes into dir while reading the configuration, so
	// relative logfile, pidfile and dbfilename live there.
	if err := os.Chdir(cfg.Dir); err != nil {
		fmt.Fprintf(stderr, "Can't chdir to '%s': %v\n", cfg.Dir, err)
		ReadyNotify(err)
		return 1
	}
	logPath := cfg.LogFile
	if cfg.Daemonize && logPath == "" {
		logPath = os.DevNull
	}
	lvl, _ := ParseLevel(cfg.LogLevel)
	log, err := NewLogger(logPath, lvl)
	if err != nil {
		fmt.Fprintln(stderr, err)
		ReadyNotify(err)
		return 1
	}
	defer log.Close()
	log.Noticef("oO0OoO0OoO0Oo Replikube (Redis %s compatible) is starting oO0OoO0OoO0Oo", command.ServerVersion)
	log.Noticef("Replikube version=%s, bits=%d, pid=%d, just started", Version, strconv.IntSize, os.Getpid())
	if file == "" {
		log.Warningf("Warning: no config file specified, using the default config. In order to specify a config file use replikube server /path/to/redis.conf")
	} else {
		log.Noticef("Configuration loaded")
	}
	s, err := New(cfg, log)
	if err != nil {
		log.Warningf("Fatal: %v", err)
		ReadyNotify(err)
		return 1
	}
	if err := s.Listen(); err != nil {
		log.Warningf("Failed listening on port %d (tcp), aborting: %v", cfg.Port, err)
		ReadyNotify(err)
		return 1
	}
	if cfg.PidFile != "" || cfg.Daemonize {
		pid := cfg.PidFile
		if pid == "" {
			pid = DefaultPidFile
			cfg.PidFile = pid
		}
		if err := os.WriteFile(pid, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.Warningf("Failed to write PID file: %v", err)
		}
	}
	if s.Startup != nil {
		if err := s.Startup(); err != nil {
			log.Warningf("Fatal error loading the DB: %v. Exiting.", err)
			ReadyNotify(err)
			return 1
		}
	}
	log.Noticef("Server initialized")
	log.Noticef("Ready to accept connections tcp")
	ReadyNotify(nil)

	serveErr := make(chan error, 1)
	go func() { serveErr <- s.Serve() }()
	select {
	case <-ctx.Done():
		log.Warningf("Received SIGTERM scheduling shutdown...")
		s.RequestShutdown("")
	case <-s.ShutdownRequested:
	case err := <-serveErr:
		log.Warningf("Server stopped: %v", err)
		return 1
	}
	return s.finishShutdown(serveErr)
}

// finishShutdown runs the shutdown sequence: persistence hook, drain
// connections, remove the pid file.
func (s *Server) finishShutdown(serveErr chan error) int {
	log := s.log
	if !s.shutdownLogged.Load() {
		log.Warningf("User requested shutdown...")
	}
	code := 0
	if s.BeforeExit != nil {
		if err := s.BeforeExit(s.ShutdownMode()); err != nil {
			log.Warningf("Error trying to save the DB, can't exit: %v", err)
			code = 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		log.Warningf("Shutdown did not drain every connection: %v", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, ErrServerClosed) {
		log.Warningf("Serve: %v", err)
	}
	if s.cfg.PidFile != "" {
		log.Noticef("Removing the pid file.")
	}
	log.Warningf("Redis is now ready to exit, bye bye...")
	return code
}
