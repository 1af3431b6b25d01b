// Package samplecity embeds the bundled sample city "Musterstadt": service
// pages written by the civibot team (German and English), licensed with the project.
//
// Each page is a Markdown file with YAML front matter (id, title, url,
// language, service, category, keywords) followed by a short description and
// sections under "## " headings, each with its anchor ("## Gebühren
// {#gebuehren}"), which answers link to. The German page de/<service>.md and the
// English page en/<service>.md describe the same service and share the
// front-matter value "service".
package samplecity

import (
	"embed"
	"io/fs"
)

// Name is the sample city's display name.
const Name = "Musterstadt"

//go:embed pages
var pages embed.FS

// FS returns the pages as a file system rooted at "pages" (de/*.md, en/*.md).
func FS() fs.FS {
	sub, err := fs.Sub(pages, "pages")
	if err != nil {
		// fs.Sub fails only for an invalid path; "pages" is a valid constant.
		panic("samplecity: " + err.Error())
	}
	return sub
}
