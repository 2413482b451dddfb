// gort: what a Go program leans on in the Go runtime, printed so that the
// same program on Linux and on Bulkhead can be compared line by line:
// goroutines and channels, timers and tickers, and a net/http server and
// client on the loopback (127.0.0.1, an ephemeral port).
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"
)

func main() {
	// Goroutines over a channel: 100 workers square numbers, the sum comes back.
	jobs, results := make(chan int), make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 100; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- j * j
			}
		}()
	}
	go func() {
		for i := 1; i <= 1000; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	sum := 0
	for r := range results {
		sum += r
	}
	fmt.Println("goroutines: sum of squares 1..1000 =", sum)

	// Busy goroutines on every P: the runtime preempts them (SIGURG) so the
	// main goroutine's timer still fires.
	stop := make(chan struct{})
	for i := 0; i < runtime.GOMAXPROCS(0)+2; i++ {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	start := time.Now()
	<-time.After(50 * time.Millisecond)
	close(stop)
	fmt.Println("timer: after 50ms:", time.Since(start) >= 50*time.Millisecond)

	t := time.NewTicker(10 * time.Millisecond)
	for i := 0; i < 5; i++ {
		<-t.C
	}
	t.Stop()
	fmt.Println("ticker: 5 ticks")
	select {
	case <-time.After(20 * time.Millisecond):
		fmt.Println("select: timeout")
	case <-make(chan int):
		fmt.Println("select: never")
	}

	// net/http on the loopback: a server and 20 concurrent client requests.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/sq", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		fmt.Fprintf(w, "%d\n", n*n)
	})
	go http.Serve(ln, mux)
	url := "http://" + ln.Addr().String() + "/sq?n="
	got := make([]string, 20)
	var cw sync.WaitGroup
	for i := range got {
		cw.Add(1)
		go func(i int) {
			defer cw.Done()
			resp, err := http.Get(fmt.Sprint(url, i))
			if err != nil {
				got[i] = err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got[i] = fmt.Sprintf("%d %s", resp.StatusCode, b)
		}(i)
	}
	cw.Wait()
	for i, g := range got {
		fmt.Printf("http: n=%d -> %s", i, g)
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/nothere")
	if err == nil {
		fmt.Println("http: /nothere ->", resp.Status)
		resp.Body.Close()
	} else {
		fmt.Println("http: /nothere:", err)
	}
	host, _ := os.Hostname()
	fmt.Println("hostname set:", host != "")
	fmt.Println("done")
}
