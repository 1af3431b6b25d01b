package knowledge

import (
	"context"
	"sync"
	"testing"
)

func TestAliases(t *testing.T) {
	ctx := context.Background()
	kb, err := Build(ctx, germanOnlyPages(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	// Nothing on the pages says "Knöllchen für Anwohner", but a caseworker
	// answered it with the parking page.
	q := Query{Text: "Vignette für meine Straße", Language: "de"}
	if hits, _ := kb.Search(ctx, q); len(hits) > 0 && hits[0].Page.ID == "parken" {
		t.Fatalf("found without an alias: %v", ids(hits))
	}
	unknown := kb.SetAliases([]Alias{
		{PageID: "parken", Text: "Welche Vignette brauche ich für meine Straße?", Language: "de"},
		{PageID: "gone", Text: "Sperrmüll"},
		{PageID: "hund", Text: "wie und wo"}, // stop words only
		{PageID: "ausweis", Text: "new id please", Language: "en"},
	})
	if len(unknown) != 2 || unknown[0].PageID != "gone" || unknown[1].PageID != "hund" {
		t.Errorf("unknown = %+v", unknown)
	}
	if got := kb.Aliases(); len(got) != 2 {
		t.Errorf("aliases in use = %+v", got)
	}
	hits, err := kb.Search(ctx, q)
	if err != nil || len(hits) == 0 || hits[0].Page.ID != "parken" || hits[0].Features.Alias < 0.5 {
		t.Fatalf("with the alias: %v %+v %v", ids(hits), hits, err)
	}
	// An alias finds its page only in its own language.
	if hits, _ := kb.Search(ctx, Query{Text: "new id please", Language: "de"}); len(hits) > 0 && hits[0].Features.Alias > 0 {
		t.Errorf("an English alias matched a German question: %+v", hits[0].Features)
	}
	if hits, _ := kb.Search(ctx, Query{Text: "new id please", Language: "en"}); len(hits) == 0 || hits[0].Page.ID != "ausweis" {
		t.Errorf("the English alias: %v", ids(hits))
	}
	// Replacing the aliases while searches run is safe.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if _, err := kb.Search(ctx, q); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for j := 0; j < 50; j++ {
		kb.SetAliases([]Alias{{PageID: "parken", Text: "Vignette Straße"}})
	}
	wg.Wait()
	kb.SetAliases(nil)
	if hits, _ := kb.Search(ctx, q); len(hits) > 0 && hits[0].Features.Alias > 0 {
		t.Errorf("aliases removed, still matched: %+v", hits[0].Features)
	}
}
