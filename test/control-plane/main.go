// Command kube-control-plane runs a real Kubernetes API server for Kure's integration tests:
// etcd embedded in-process plus the upstream kube-apiserver (k8s.io/kubernetes/cmd/kube-apiserver/app),
// on free loopback ports, with throwaway certificates and an admin kubeconfig.
//
// It prints "KUBECONFIG=<path>" on stdout once GET /readyz answers ok, and on SIGINT/SIGTERM
// shuts the API server and etcd down and removes its temporary directory. With --data-dir, the etcd
// data, certificates, kubeconfig and ports are kept in that directory instead, and a later start on the
// same directory serves the same cluster on the same ports (a restarted API server).
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format, as in the upstream main
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as in the upstream main
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as in the upstream main
	"k8s.io/kubernetes/cmd/kube-apiserver/app"

	_ "time/tzdata" // CronJob time zones, as in the upstream main
)

func main() {
	os.Exit(run())
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kube-control-plane: "+format+"\n", args...)
}

func run() int {
	fs := flag.NewFlagSet("kube-control-plane", flag.ContinueOnError)
	kubeconfigOut := fs.String("kubeconfig", "", "where to write the admin kubeconfig (default: <root-dir>/kubeconfig)")
	rootDirFlag := fs.String("root-dir", "", "directory for etcd data and certificates; created and removed on exit (default: a new temp dir)")
	dataDirFlag := fs.String("data-dir", "", "keep etcd data, certificates, kubeconfig and ports in DIR, and reuse them when it already holds them (restart on the same data and ports); never removed")
	securePort := fs.Int("port", 0, "kube-apiserver secure port on 127.0.0.1 (default: a free port, or the one recorded in --data-dir)")
	readyTimeout := fs.Duration("ready-timeout", 3*time.Minute, "give up if /readyz is not ok by then")
	exitOnStdinClose := fs.Bool("exit-on-stdin-close", false, "shut down when stdin reaches EOF (the parent process died or closed the pipe)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kube-control-plane [flags] [-- extra kube-apiserver flags]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	extraArgs := fs.Args()

	// The API server command installs the SIGINT/SIGTERM handler (genericapiserver.SetupSignalContext)
	// when it is constructed; build it first so a signal during start-up also stops it cleanly.
	command := app.NewAPIServerCommand()
	// When the parent dies, our stdout/stderr pipes break; without this, Go would kill the process on the
	// first log line (SIGPIPE on fd 1/2) before it could stop etcd and remove its directory.
	signal.Ignore(syscall.SIGPIPE)
	var signalled sync.Once
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)

	if *rootDirFlag != "" && *dataDirFlag != "" {
		logf("--root-dir and --data-dir are exclusive")
		return 2
	}
	rootDir := *rootDirFlag
	keep := *dataDirFlag != ""
	var err error
	switch {
	case keep:
		rootDir = *dataDirFlag
		err = os.MkdirAll(rootDir, 0o700)
	case rootDir == "":
		rootDir, err = os.MkdirTemp("", "kure-control-plane-")
	default:
		err = os.MkdirAll(rootDir, 0o700)
	}
	if err != nil {
		logf("create root dir: %v", err)
		return 1
	}
	var cleanupOnce sync.Once
	var etcd *embed.Etcd
	var etcdMu sync.Mutex
	cleanup := func() {
		cleanupOnce.Do(func() {
			etcdMu.Lock()
			if etcd != nil {
				etcd.Close()
			}
			etcdMu.Unlock()
			if keep {
				return
			}
			if err := os.RemoveAll(rootDir); err != nil {
				logf("remove %s: %v", rootDir, err)
			}
		})
	}
	defer cleanup()
	// If the API server does not return within a grace period after a signal, clean up and exit anyway.
	go func() {
		<-sigs
		signalled.Do(func() {
			logf("signal received, shutting down")
			time.AfterFunc(30*time.Second, func() {
				logf("shutdown took too long, exiting")
				cleanup()
				os.Exit(1)
			})
		})
	}()

	if *exitOnStdinClose {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			logf("stdin closed")
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		}()
	}

	ports, err := choosePorts(rootDir, keep, *securePort)
	if err != nil {
		logf("ports: %v", err)
		return 1
	}
	*securePort = ports.SecurePort

	certDir := filepath.Join(rootDir, "pki")
	var pki *pkiFiles
	if keep {
		pki, err = readPKI(certDir)
		if errors.Is(err, os.ErrNotExist) {
			pki, err = writePKI(certDir)
		} else if err == nil {
			logf("reusing the data, certificates and ports in %s", rootDir)
		}
	} else {
		pki, err = writePKI(certDir)
	}
	if err != nil {
		logf("certificates: %v", err)
		return 1
	}

	// etcd, embedded.
	cfg := embed.NewConfig()
	cfg.Name = "kure-test"
	cfg.Dir = filepath.Join(rootDir, "etcd")
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.EtcdClientPort))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.EtcdPeerPort))}
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = true
	// A single member elects itself after one election timeout: keep it short (default 1 s).
	cfg.TickMs = 10
	cfg.ElectionMs = 100
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{"stderr"}
	etcdStart := time.Now()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		logf("start etcd: %v", err)
		return 1
	}
	etcdMu.Lock()
	etcd = e
	etcdMu.Unlock()
	select {
	case <-e.Server.ReadyNotify():
		logf("etcd ready on %s in %s", clientURL.String(), time.Since(etcdStart).Round(time.Millisecond))
	case err := <-e.Err():
		logf("etcd: %v", err)
		return 1
	case <-time.After(60 * time.Second):
		logf("etcd did not become ready")
		return 1
	}

	server := fmt.Sprintf("https://127.0.0.1:%d", *securePort)
	kubeconfigPath := *kubeconfigOut
	if kubeconfigPath == "" {
		kubeconfigPath = filepath.Join(rootDir, "kubeconfig")
	}
	if err := writeKubeconfig(kubeconfigPath, server, pki); err != nil {
		logf("kubeconfig: %v", err)
		return 1
	}
	if *kubeconfigOut != "" && !keep {
		// Written outside the root dir: remove it too on exit.
		defer func() { _ = os.Remove(kubeconfigPath) }()
	}

	args := []string{
		"--etcd-servers=" + clientURL.String(),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(*securePort),
		"--cert-dir=" + certDir,
		"--tls-cert-file=" + pki.servingCert,
		"--tls-private-key-file=" + pki.servingKey,
		"--client-ca-file=" + pki.caCert,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		"--authorization-mode=RBAC",
		"--disable-admission-plugins=ServiceAccount",
		"--service-account-issuer=" + server + "/",
		"--service-account-key-file=" + pki.saPub,
		"--service-account-signing-key-file=" + pki.saKey,
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		// On SIGTERM: answer 429 + Retry-After until the in-flight short requests are done, then shut the
		// HTTP server down with a 2 s timeout. Without it the server waits up to --request-timeout (60 s)
		// for open watches (HTTP/1.1 watch clients never go idle) and the stop would hit our 30 s limit.
		"--shutdown-send-retry-after=true",
	}
	args = append(withoutOverridden(args, extraArgs), extraArgs...)
	command.SetArgs(args)

	start := time.Now()
	readyCtx, stopReadyWait := context.WithCancel(context.Background())
	defer stopReadyWait()
	go func() {
		if err := waitReady(readyCtx, server, pki, *readyTimeout); err != nil {
			if readyCtx.Err() == nil {
				logf("%v", err)
				_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
			}
			return
		}
		logf("kube-apiserver ready on %s in %s", server, time.Since(start).Round(time.Millisecond))
		fmt.Printf("KUBECONFIG=%s\n", kubeconfigPath)
	}()

	code := cli.Run(command)
	stopReadyWait()
	cleanup()
	logf("stopped")
	return code
}

// portsFile records the ports of a --data-dir cluster, so that a restart serves on the same ones.
const portsFile = "ports.json"

type portSet struct {
	EtcdClientPort int `json:"etcdClientPort"`
	EtcdPeerPort   int `json:"etcdPeerPort"`
	SecurePort     int `json:"securePort"`
}

// choosePorts returns the ports recorded in dir (keep) or new free ones; securePort, when not 0,
// overrides the API server's. With keep, the result is recorded in dir.
func choosePorts(dir string, keep bool, securePort int) (portSet, error) {
	var ps portSet
	path := filepath.Join(dir, portsFile)
	if keep {
		if data, err := os.ReadFile(path); err == nil {
			if err := json.Unmarshal(data, &ps); err != nil {
				return ps, fmt.Errorf("%s: %w", path, err)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return ps, err
		}
	}
	if ps.EtcdClientPort == 0 || ps.EtcdPeerPort == 0 || ps.SecurePort == 0 {
		free, err := freePorts(3)
		if err != nil {
			return ps, err
		}
		ps = portSet{EtcdClientPort: free[0], EtcdPeerPort: free[1], SecurePort: free[2]}
	}
	if securePort != 0 {
		ps.SecurePort = securePort
	}
	if keep {
		data, _ := json.Marshal(ps)
		if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
			return ps, err
		}
	}
	return ps, nil
}

// freePorts asks the kernel for n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

type pkiFiles struct {
	caCert, servingCert, servingKey, adminCert, adminKey, saKey, saPub string
	caPEM, adminCertPEM, adminKeyPEM                                   []byte
}

func writePKI(dir string) (*pkiFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kure-test-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	issue := func(serial int64, tmpl *x509.Certificate) (certPEM, keyPEM []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore = now.Add(-time.Hour)
		tmpl.NotAfter = now.Add(7 * 24 * time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
	}
	servingCert, servingKey, err := issue(2, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.IPv4(10, 0, 0, 1)},
	})
	if err != nil {
		return nil, err
	}
	adminCert, adminKey, err := issue(3, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	saKeyDER, err := x509.MarshalECPrivateKey(saKey)
	if err != nil {
		return nil, err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	p := pkiPaths(dir)
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	p.adminCertPEM = adminCert
	p.adminKeyPEM = adminKey
	files := map[string][]byte{
		p.caCert:      p.caPEM,
		p.servingCert: servingCert,
		p.servingKey:  servingKey,
		p.adminCert:   adminCert,
		p.adminKey:    adminKey,
		p.saKey:       pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: saKeyDER}),
		p.saPub:       pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}),
	}
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// pkiPaths names the files of writePKI in dir.
func pkiPaths(dir string) *pkiFiles {
	return &pkiFiles{
		caCert:      filepath.Join(dir, "ca.crt"),
		servingCert: filepath.Join(dir, "serving.crt"),
		servingKey:  filepath.Join(dir, "serving.key"),
		adminCert:   filepath.Join(dir, "admin.crt"),
		adminKey:    filepath.Join(dir, "admin.key"),
		saKey:       filepath.Join(dir, "sa.key"),
		saPub:       filepath.Join(dir, "sa.pub"),
	}
}

// readPKI loads what writePKI wrote in dir (an error wrapping os.ErrNotExist when it is not all there).
func readPKI(dir string) (*pkiFiles, error) {
	p := pkiPaths(dir)
	for _, f := range []string{p.caCert, p.servingCert, p.servingKey, p.adminCert, p.adminKey, p.saKey, p.saPub} {
		if _, err := os.Stat(f); err != nil {
			return nil, err
		}
	}
	var err error
	if p.caPEM, err = os.ReadFile(p.caCert); err != nil {
		return nil, err
	}
	if p.adminCertPEM, err = os.ReadFile(p.adminCert); err != nil {
		return nil, err
	}
	if p.adminKeyPEM, err = os.ReadFile(p.adminKey); err != nil {
		return nil, err
	}
	if _, err := tls.X509KeyPair(p.adminCertPEM, p.adminKeyPEM); err != nil {
		return nil, fmt.Errorf("%s: %w", p.adminCert, err)
	}
	return p, nil
}

func writeKubeconfig(path, server string, p *pkiFiles) error {
	b64 := base64.StdEncoding.EncodeToString
	content := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kure-test
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kure-test
  context:
    cluster: kure-test
    user: admin
current-context: kure-test
`, server, b64(p.caPEM), b64(p.adminCertPEM), b64(p.adminKeyPEM))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// waitReady polls GET /readyz as the admin user until it answers 200.
func waitReady(ctx context.Context, server string, p *pkiFiles, timeout time.Duration) error {
	cert, err := tls.X509KeyPair(p.adminCertPEM, p.adminKeyPEM)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(p.caPEM)
	client := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		},
	}
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"/readyz", nil)
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver not ready after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// withoutOverridden drops the default flags that an extra flag of the same name replaces: list flags
// such as --disable-admission-plugins append when repeated, so an extra `--disable-admission-plugins=`
// (a real node needs the ServiceAccount admission plugin) must replace the default, not add to it.
func withoutOverridden(defaults, extra []string) []string {
	name := func(arg string) string { n, _, _ := strings.Cut(arg, "="); return n }
	overridden := map[string]bool{}
	for _, a := range extra {
		overridden[name(a)] = true
	}
	kept := make([]string, 0, len(defaults))
	for _, a := range defaults {
		if !overridden[name(a)] {
			kept = append(kept, a)
		}
	}
	return kept
}
