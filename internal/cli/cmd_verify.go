package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/fedimarks/fedimarks"
	"github.com/fedimarks/fedimarks/internal/transfer"
	"github.com/fedimarks/fedimarks/internal/ui"
)

type verifyOptions struct {
	files   []string
	from    string
	to      string
	offline bool
	output  string
}

func verifyCommand() command {
	return command{
		name:    "verify",
		summary: "list the bookmarks missing on an account",
		usage: `Usage: fedimarks verify (FILE... | --from ACCOUNT) [--to ACCOUNT] [-o FILE] [--offline]

Reads the bookmarks of --to (a saved account; default: the only one) and
lists the posts of FILE... (any format 'fedimarks import' reads) or of the
archived bookmarks of --from that are not bookmarked there, matching by URI
or URL. The missing posts go to standard output (or -o FILE) in Mastodon's
bookmarks format, newest first, ready for 'fedimarks import' or for the
server's own importer; counts go to standard error. --from is backed up
first unless --offline.

Useful after uploading a file in Mastodon's own importer:

  fedimarks verify bookmarks.csv --to bob@example.social -o missing.csv
  fedimarks import missing.csv --to bob@example.social

Exit codes: 0 nothing missing; 1 error; 2 usage or unreadable input;
3 some posts are missing (listed); 4 authentication (log in again).
`,
		run: runVerifyCommand,
	}
}

func runVerifyCommand(ctx context.Context, a *app, args []string) error {
	var o verifyOptions
	fs := newFlags(a.cmd)
	fs.StringVar(&o.from, "from", "", "source `ACCOUNT` (its archived bookmarks)")
	fs.StringVar(&o.to, "to", "", "destination `ACCOUNT`")
	fs.BoolVar(&o.offline, "offline", false, "use the archive of --from as it is, without a backup first")
	fs.StringVar(&o.output, "o", "", "write the missing posts to `FILE`")
	fs.StringVar(&o.output, "output", "", "write the missing posts to `FILE`")
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	o.files = pos
	if (len(o.files) == 0) == (o.from == "") {
		return usageError("verify needs either FILE... or --from ACCOUNT")
	}
	return runVerify(ctx, a, o)
}

func runVerify(ctx context.Context, a *app, o verifyOptions) error {
	defer a.holdRows()()
	// Everything that can be checked locally is, before any file is
	// parsed or any request made.
	if o.from != "" {
		if _, err := fedimarks.ParseHandle(o.from); err != nil {
			return usageError("--from %q is not an account: expected user@host", strings.TrimSpace(o.from))
		}
	}
	if err := checkInputs(o.files); err != nil {
		return err
	}
	if err := checkOutputPath(o.output); err != nil {
		return err
	}
	acc, err := chooseAccount(ctx, a, "--to", o.to)
	if err != nil {
		return err
	}
	var items []fedimarks.ImportItem
	if o.from != "" {
		from, err := a.sourceAccount(ctx, o.from, o.offline)
		if err != nil {
			return err
		}
		if items, err = archivedItems(ctx, a, from); err != nil {
			return err
		}
	} else if items, _, err = readInputs(ctx, a, o.files); err != nil {
		return err
	}
	tok, err := a.token(ctx, acc.Handle)
	if err != nil {
		return err
	}
	c := a.newClient(acc.Server, tok, nil)
	v, err := transfer.Verify(ctx, items, bookmarkLister{c})
	if err != nil {
		return a.apiError(acc.Handle, acc.Server, err, "read:bookmarks")
	}
	if err := writeOutput(a, o.output, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for i := len(v.Missing) - 1; i >= 0; i-- {
			addr := v.Missing[i].URI
			if addr == "" {
				addr = v.Missing[i].URL
			}
			fmt.Fprintln(bw, addr)
		}
		return bw.Flush()
	}); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "%s: %s bookmarked; of %s source rows %s present, %s missing, %s duplicate, %s invalid\n",
		acc.Handle, ui.Count(int64(v.DestinationCount)), ui.Count(int64(v.Rows)), ui.Count(int64(v.Present)),
		ui.Count(int64(len(v.Missing))), ui.Count(int64(v.Duplicate)), ui.Count(int64(v.Invalid)))
	if len(v.Missing) > 0 {
		return &fedimarks.Error{Code: fedimarks.EPartial,
			Message: fmt.Sprintf("%s %s missing on %s", countNoun(len(v.Missing), "post"), isAre(len(v.Missing)), acc.Handle)}
	}
	return nil
}

// isAre is the verb that agrees with a count of n.
func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
