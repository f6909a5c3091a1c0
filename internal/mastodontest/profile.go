package mastodontest

// SetDisplayName sets the name a's instance (and every other) shows for
// a, as the person would in their profile: any text, escape sequences
// included. The default is the username with a capital first letter.
func (a *Account) SetDisplayName(name string) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	a.display = name
}
