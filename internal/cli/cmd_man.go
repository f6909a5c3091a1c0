package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fedimarks/fedimarks/internal/atomicfile"
)

func manCommand() command {
	return command{
		name:    "man",
		summary: "write man pages for fedimarks and each command into a folder",
		usage: `Usage: fedimarks man DIR

Writes the manual pages fedimarks(1) and fedimarks-COMMAND(1), one for each
command, into DIR (made if missing), from the same text as 'fedimarks help'.
Read one with 'man -l DIR/fedimarks-backup.1', or put DIR under a folder of
your MANPATH as man1 (for example ~/.local/share/man/man1) and run
'man fedimarks-backup'.

` + localExitCodes + "\n",
		run: runManCommand,
	}
}

func runManCommand(ctx context.Context, a *app, args []string) error {
	fs := newFlags(a.cmd)
	pos, err := a.parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usageError("man takes the folder to write the pages into")
	}
	dir := pos[0]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the folder %s: %w", dir, atomicfile.Cause(err))
	}
	date := a.now().UTC().Format("2006-01-02")
	pages := map[string]string{"fedimarks.1": manIndex(date)}
	for _, c := range commands() {
		pages["fedimarks-"+c.name+".1"] = manPage(c, date)
	}
	for name, text := range pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("cannot write the page %s: %w", filepath.Join(dir, name), atomicfile.Cause(err))
		}
	}
	fmt.Fprintf(a.stderr, "Wrote %d man pages in %s\n", len(pages), dir)
	return nil
}

// manIndex is fedimarks(1): what the tool is and its commands.
func manIndex(date string) string {
	var b strings.Builder
	manHead(&b, "FEDIMARKS", date, "fedimarks", "never lose a fediverse bookmark again")
	b.WriteString(".SH SYNOPSIS\n.B fedimarks\n.I COMMAND\n[options]\n.SH DESCRIPTION\n")
	b.WriteString(manEscape("fedimarks backs up the bookmarks of Mastodon-API accounts into a local archive, exports them, imports and migrates them to another account, keeps accounts in sync, and lets you search and browse the archive offline.") + "\n")
	b.WriteString(".SH COMMANDS\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, ".TP\n.B %s\n%s (see\n.BR fedimarks-%s (1))\n", manEscape(c.name), manEscape(c.summary), manEscape(c.name))
	}
	b.WriteString(".SH ENVIRONMENT\n.TP\n.B FEDIMARKS_HOME\nwhere the archive and tokens live (as --home DIR)\n.TP\n.B FEDIMARKS_KEYRING\noff: keep tokens in 0600 files, not the system keyring\n.TP\n.B NO_COLOR\nno colour and no progress bars\n")
	b.WriteString(".SH EXIT STATUS\n" + manEscape(exitCodesHelp) + "\n")
	return b.String()
}

// manPage is fedimarks-NAME(1): the command's help text, kept as written
// (its lines are laid out for a terminal already).
func manPage(c command, date string) string {
	var b strings.Builder
	manHead(&b, "FEDIMARKS-"+strings.ToUpper(c.name), date, "fedimarks-"+c.name, c.summary)
	b.WriteString(".SH DESCRIPTION\n.nf\n")
	for _, line := range strings.Split(strings.TrimRight(c.usage, "\n"), "\n") {
		b.WriteString(manEscape(line) + "\n")
	}
	b.WriteString(".fi\n.SH SEE ALSO\n.BR fedimarks (1)\n")
	return b.String()
}

func manHead(b *strings.Builder, title, date, name, summary string) {
	fmt.Fprintf(b, ".TH %s 1 %s fedimarks \"fedimarks manual\"\n.SH NAME\n%s \\- %s\n", title, date, manEscape(name), manEscape(summary))
}

// manEscape makes text safe for roff: backslashes doubled, and a line that
// starts with a dot or an apostrophe (which roff reads as a request) or a
// space kept as text.
func manEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}
