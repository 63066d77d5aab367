package shop_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/devenvtest"
)

// TestOrderReachesS3: an order the shop API takes is logged, shipped by
// Docker's fluentd driver to fluentd, and written to the orders bucket, as
// production does, in this project's own stack.
func TestOrderReachesS3(t *testing.T) {
	st := devenvtest.Start(t)
	resp, err := http.Post(st.URL(t, "shop", 8080)+"/orders", "application/json", strings.NewReader(`{"id":"o-1","total":12.5}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /orders: %s", resp.Status)
	}
	line := st.WaitS3Line(t, "shop-orders", "orders/", `"id":"o-1"`, 30*time.Second)
	if !strings.Contains(line, `"event":"order"`) || !strings.Contains(line, `"total":12.5`) {
		t.Fatalf("the order's line in S3: %s", line)
	}
}
