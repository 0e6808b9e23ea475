package validate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/obs"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redisconn"
)

const (
	dir       = "../"                           // deploy/k8s
	namespace = "hookq"                         // every namespaced object lives here
	spoolFile = "ingest-spool-statefulset.yaml" // variant, not in kustomization.yaml
	// Shutdown bounds of the processes (cmd/ingest, cmd/worker): ingest
	// drains requests for up to 10 s; a worker closes its admin listener
	// (up to 5 s) and then waits worker.shutdown_timeout for its handlers.
	ingestDrain      = 10 * time.Second
	workerAdminGrace = 5 * time.Second
)

// object is one decoded manifest document.
type object struct {
	file string
	kind string // apiVersion/kind
	name string
	ns   string
	obj  any
}

func (o object) String() string { return fmt.Sprintf("%s %s (%s)", o.kind, o.name, o.file) }

// kinds maps apiVersion/kind to a constructor of its official Go type.
var kinds = map[string]func() any{
	"v1/Namespace":                           func() any { return &corev1.Namespace{} },
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                    func() any { return &appsv1.StatefulSet{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
}

// crdKinds are checked against KEDA's CRD schemas (testdata, KEDA v2.21.0),
// and their metadata against metav1.ObjectMeta.
var crdFiles = []string{"testdata/keda.sh_scaledobjects.yaml", "testdata/keda.sh_triggerauthentications.yaml"}

// keda is the subset of KEDA's types the cross-reference checks read (after
// the strict schema check has passed).
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		Advanced        *struct {
			ScalingModifiers *scalingModifiers `json:"scalingModifiers"`
		} `json:"advanced"`
		Triggers []kedaTrigger `json:"triggers"`
	} `json:"spec"`
}

type scalingModifiers struct {
	Formula    string `json:"formula"`
	Target     string `json:"target"`
	MetricType string `json:"metricType"`
}

type kedaTrigger struct {
	Type              string            `json:"type"`
	Name              string            `json:"name"`
	Metadata          map[string]string `json:"metadata"`
	AuthenticationRef *struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	} `json:"authenticationRef"`
}

type triggerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		SecretTargetRef []struct {
			Parameter string `json:"parameter"`
			Name      string `json:"name"`
			Key       string `json:"key"`
		} `json:"secretTargetRef"`
	} `json:"spec"`
}

// load decodes every document of every file, strictly.
func load(t *testing.T, files []string) []object {
	t.Helper()
	schemas := map[string]*Schema{}
	for _, f := range crdFiles {
		s, err := CRDSchemas(f)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range s {
			schemas[k] = v
		}
	}
	var out []object
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s doc %d: %v", f, i, err)
			}
			kind := tm.APIVersion + "/" + tm.Kind
			var obj any
			if mk, ok := kinds[kind]; ok {
				obj = mk()
				if err := yaml.UnmarshalStrict(doc, obj); err != nil {
					t.Errorf("%s doc %d (%s): %v", f, i, kind, err)
					continue
				}
			} else if s, ok := schemas[kind]; ok {
				var generic map[string]any
				if err := yaml.Unmarshal(doc, &generic); err != nil {
					t.Fatalf("%s doc %d: %v", f, i, err)
				}
				meta := generic["metadata"]
				delete(generic, "metadata")
				for _, e := range s.Check(tm.Kind, generic) {
					t.Errorf("%s doc %d: %s", f, i, e)
				}
				mraw, _ := yaml.Marshal(meta)
				if err := yaml.UnmarshalStrict(mraw, &metav1.ObjectMeta{}); err != nil {
					t.Errorf("%s doc %d: metadata: %v", f, i, err)
				}
				switch tm.Kind {
				case "ScaledObject":
					obj = &scaledObject{}
				case "TriggerAuthentication":
					obj = &triggerAuthentication{}
				}
				if err := yaml.Unmarshal(doc, obj); err != nil {
					t.Fatalf("%s doc %d: %v", f, i, err)
				}
			} else {
				t.Errorf("%s doc %d: unexpected kind %q (add it to the validator if it belongs here)", f, i, kind)
				continue
			}
			m := metaOf(obj)
			out = append(out, object{file: f, kind: tm.Kind, name: m.Name, ns: m.Namespace, obj: obj})
		}
	}
	return out
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.Bytes()
}

func metaOf(obj any) metav1.ObjectMeta {
	return reflect.ValueOf(obj).Elem().FieldByName("ObjectMeta").Interface().(metav1.ObjectMeta)
}

// manifestFiles lists deploy/k8s/*.yaml that are Kubernetes objects.
func manifestFiles(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range all {
		switch f = filepath.Base(f); f {
		case "kustomization.yaml", "redis-values.yaml":
		default:
			out = append(out, f)
		}
	}
	return out
}

type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

func readKustomization(t *testing.T) kustomization {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(raw, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Fatalf("kustomization.yaml: apiVersion/kind %s/%s", k.APIVersion, k.Kind)
	}
	return k
}

// TestKustomizationListsEveryManifest: kubectl apply -k deploy/k8s gets
// every object but the spool variant.
func TestKustomizationListsEveryManifest(t *testing.T) {
	k := readKustomization(t)
	var want []string
	for _, f := range manifestFiles(t) {
		if f != spoolFile {
			want = append(want, f)
		}
	}
	got := slices.Clone(k.Resources)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Fatalf("kustomization.yaml resources %v, files %v", got, want)
	}
}

// TestManifests checks the default set and the spool variant.
func TestManifests(t *testing.T) {
	base := readKustomization(t).Resources
	t.Run("default", func(t *testing.T) { checkSet(t, base, false) })
	var spool []string
	for _, f := range base {
		if f != "ingest-deployment.yaml" && f != "ingest-hpa.yaml" {
			spool = append(spool, f)
		}
	}
	t.Run("spool", func(t *testing.T) { checkSet(t, append(spool, spoolFile), true) })
}

// set indexes one deployable set of objects.
type set struct {
	t       *testing.T
	objs    []object
	secrets map[string]map[string]string
	config  map[string]*corev1.ConfigMap
}

func (s *set) find(kind, name string) *object {
	for i := range s.objs {
		if s.objs[i].kind == kind && s.objs[i].name == name {
			return &s.objs[i]
		}
	}
	return nil
}

// workload is a Deployment or StatefulSet seen through what the checks need.
type workload struct {
	object
	selector *metav1.LabelSelector
	tpl      corev1.PodTemplateSpec
	claims   []corev1.PersistentVolumeClaim
	service  string
}

func (s *set) workloads() []workload {
	var out []workload
	for _, o := range s.objs {
		switch w := o.obj.(type) {
		case *appsv1.Deployment:
			out = append(out, workload{object: o, selector: w.Spec.Selector, tpl: w.Spec.Template})
		case *appsv1.StatefulSet:
			out = append(out, workload{object: o, selector: w.Spec.Selector, tpl: w.Spec.Template, claims: w.Spec.VolumeClaimTemplates, service: w.Spec.ServiceName})
		}
	}
	return out
}

func selects(t *testing.T, sel *metav1.LabelSelector, lbls map[string]string) bool {
	t.Helper()
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Errorf("selector %v: %v", sel, err)
		return false
	}
	return !s.Empty() && s.Matches(labels.Set(lbls))
}

func checkSet(t *testing.T, files []string, spool bool) {
	s := &set{t: t, objs: load(t, files), secrets: map[string]map[string]string{}, config: map[string]*corev1.ConfigMap{}}
	if t.Failed() {
		t.FailNow()
	}
	seen := map[string]string{}
	for _, o := range s.objs {
		key := o.kind + "/" + o.name
		if prev, dup := seen[key]; dup {
			t.Errorf("%s defined twice (%s and %s)", key, prev, o.file)
		}
		seen[key] = o.file
		for _, e := range validation.IsDNS1123Subdomain(o.name) {
			t.Errorf("%s: name: %s", o, e)
		}
		if o.kind == "Namespace" {
			if o.name != namespace {
				t.Errorf("%s: want namespace %s", o, namespace)
			}
		} else if o.ns != namespace {
			t.Errorf("%s: namespace %q, want %q", o, o.ns, namespace)
		}
		switch x := o.obj.(type) {
		case *corev1.Secret:
			m := map[string]string{}
			for k, v := range x.StringData {
				m[k] = v
			}
			for k, v := range x.Data {
				m[k] = string(v)
			}
			s.secrets[o.name] = m
		case *corev1.ConfigMap:
			s.config[o.name] = x
		}
	}
	if s.find("Namespace", namespace) == nil {
		t.Errorf("no Namespace %s", namespace)
	}
	ws := s.workloads()
	if len(ws) != 2 {
		t.Fatalf("want an ingest and a worker workload, got %d", len(ws))
	}
	var ingestCfg, workerCfg *config.Config
	for _, w := range ws {
		cfg, role := s.checkWorkload(w)
		switch role {
		case "ingest":
			ingestCfg = cfg
		case "worker":
			workerCfg = cfg
		}
	}
	if ingestCfg == nil || workerCfg == nil {
		if t.Failed() || spool {
			return // reported above (or skipped: the spool config needs ingest.spool)
		}
		t.Fatal("want one ingest and one worker workload with a loadable config")
	}
	s.checkServices(ws)
	s.checkAutoscaling(ws, workerCfg)
	s.checkDisruptionBudgets(ws)
	s.checkNetworkPolicies(ws)
	s.checkRedisChart(workerCfg)
	if spool {
		s.checkSpoolConfig()
	}
}

// checkWorkload checks one pod template and returns the config its
// container loads and its role (ingest or worker).
func (s *set) checkWorkload(w workload) (*config.Config, string) {
	t := s.t
	if !selects(t, w.selector, w.tpl.Labels) {
		t.Errorf("%s: selector %v does not select its own pod labels %v", w, w.selector, w.tpl.Labels)
	}
	for k, v := range w.tpl.Labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			t.Errorf("%s: label %q: %v", w, k, errs)
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("%s: label %s=%q: %v", w, k, v, errs)
		}
	}
	ps := w.tpl.Spec
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken must be false (hookq never calls the API server)", w)
	}
	psc := ps.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod must set runAsNonRoot: true and a non-zero runAsUser", w)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod must use the RuntimeDefault seccomp profile", w)
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%s: want one container", w)
	}
	c := ps.Containers[0]
	csc := c.SecurityContext
	if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: container must set readOnlyRootFilesystem, allowPrivilegeEscalation: false and drop ALL capabilities", w)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim {
			t.Errorf("%s: %s request and limit are required", w, r)
		} else if lim.Cmp(req) < 0 {
			t.Errorf("%s: %s limit %s below request %s", w, r, lim.String(), req.String())
		}
	}

	// Volumes: each mount has a volume; config maps and claims exist.
	vols := map[string]corev1.Volume{}
	for _, v := range ps.Volumes {
		vols[v.Name] = v
		if v.ConfigMap != nil && s.config[v.ConfigMap.Name] == nil {
			t.Errorf("%s: volume %s: ConfigMap %q is not in the set", w, v.Name, v.ConfigMap.Name)
		}
		if v.Secret != nil && s.secrets[v.Secret.SecretName] == nil {
			t.Errorf("%s: volume %s: Secret %q is not in the set", w, v.Name, v.Secret.SecretName)
		}
	}
	claims := map[string]bool{}
	for _, pvc := range w.claims {
		claims[pvc.Name] = true
	}
	mounts := map[string]string{} // path → volume
	for _, m := range c.VolumeMounts {
		if _, ok := vols[m.Name]; !ok && !claims[m.Name] {
			t.Errorf("%s: volumeMount %s: no such volume or claim template", w, m.Name)
		}
		mounts[m.MountPath] = m.Name
	}
	if mounts["/tmp"] == "" {
		t.Errorf("%s: a writable /tmp (emptyDir) is expected with a read-only root", w)
	}

	// Environment: every secretKeyRef exists; the values feed the loader.
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			sec, ok := s.secrets[ref.Name]
			if !ok {
				t.Errorf("%s: env %s: Secret %q is not in the set", w, e.Name, ref.Name)
				continue
			}
			v, ok := sec[ref.Key]
			if !ok {
				t.Errorf("%s: env %s: Secret %s has no key %q", w, e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = v
		case e.ValueFrom != nil:
			t.Errorf("%s: env %s: only secretKeyRef is expected", w, e.Name)
		default:
			env[e.Name] = e.Value
		}
	}
	if len(c.EnvFrom) > 0 {
		t.Errorf("%s: envFrom hides which variables the config gets; list them", w)
	}

	// The config: -config PATH inside a ConfigMap mount, loaded by hookq.
	if len(c.Args) != 3 || c.Args[1] != "-config" {
		t.Fatalf("%s: args %v, want [ingest|worker -config PATH]", w, c.Args)
	}
	role, cfgPath := c.Args[0], c.Args[2]
	vol, ok := vols[mounts[filepath.Dir(cfgPath)]]
	if !ok || vol.ConfigMap == nil {
		t.Fatalf("%s: %s is not inside a ConfigMap mount", w, cfgPath)
	}
	cm := s.config[vol.ConfigMap.Name]
	if cm == nil {
		return nil, ""
	}
	text, ok := cm.Data[filepath.Base(cfgPath)]
	if !ok {
		t.Fatalf("%s: ConfigMap %s has no key %s", w, cm.Name, filepath.Base(cfgPath))
	}
	cfg, err := config.Parse([]byte(text), func(k string) string { return env[k] })
	if err != nil {
		if strings.Contains(err.Error(), "field spool not found") {
			t.Skipf("%s: this hookq has no ingest.spool yet; the spool variant's config is checked once it has", w)
		}
		t.Fatalf("%s: hookq's config loader refuses ConfigMap %s: %v", w, cm.Name, err)
	}

	// Ports, probes and grace period by role.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	var want map[string]string
	switch role {
	case "ingest":
		want = map[string]string{"http": cfg.Ingest.Listen, "admin": cfg.Ingest.AdminListen}
	case "worker":
		want = map[string]string{"admin": cfg.Worker.AdminListen}
	default:
		t.Fatalf("%s: program %q, want ingest or worker", w, role)
	}
	for name, addr := range want {
		host, port, _ := net.SplitHostPort(addr)
		if host != "" && host != "0.0.0.0" && host != "::" {
			t.Errorf("%s: %s listens on %s: unreachable from the kubelet and the Service", w, name, addr)
		}
		if strconv.Itoa(int(ports[name])) != port {
			t.Errorf("%s: container port %q = %d, but the config listens on %s", w, name, ports[name], addr)
		}
	}
	if len(ports) != len(want) {
		t.Errorf("%s: container ports %v, want exactly %v", w, ports, want)
	}
	if role == "ingest" && cfg.Dashboard.Password == "" {
		t.Errorf("%s: the admin listener is not loopback, so the dashboard needs a password", w)
	}
	// The admin handler as the process builds it; the kubelet probes with
	// the pod's IP as Host, which a loopback-only policy would refuse.
	admin := obs.NewAdmin(func(context.Context) ([]string, error) { return nil, nil }, prometheus.NewRegistry(), "", nil,
		config.AdminIsLoopback(want["admin"]))
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: %s probe: want an httpGet probe", w, name)
			continue
		}
		if p.HTTPGet.Port.Type != intstr.String || p.HTTPGet.Port.StrVal != "admin" {
			t.Errorf("%s: %s probe: port %s, want the admin port", w, name, p.HTTPGet.Port.String())
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, p.HTTPGet.Path, nil)
		req.Host = "10.1.2.3:" + strconv.Itoa(int(ports["admin"]))
		admin.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %s probe: GET %s on hookq's admin handler answers %d", w, name, p.HTTPGet.Path, rec.Code)
		}
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("%s: readiness must be /readyz (Redis takes writes), got %s", w, c.ReadinessProbe.HTTPGet.Path)
	}
	if c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("%s: liveness must be /healthz: a Redis outage must not restart pods, got %s", w, c.LivenessProbe.HTTPGet.Path)
	}
	grace := time.Duration(0)
	if ps.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*ps.TerminationGracePeriodSeconds) * time.Second
	}
	var preStop time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	switch role {
	case "ingest":
		if bound := preStop + ingestDrain; grace <= bound {
			t.Errorf("%s: terminationGracePeriodSeconds %v does not outlast preStop %v + the 10 s request drain", w, grace, preStop)
		}
	case "worker":
		if bound := preStop + workerAdminGrace + cfg.Worker.ShutdownTimeout; grace <= bound {
			t.Errorf("%s: terminationGracePeriodSeconds %v does not outlast worker.shutdown_timeout %v (+ %v admin, %v preStop): running handlers would be killed and run again",
				w, grace, cfg.Worker.ShutdownTimeout, workerAdminGrace, preStop)
		}
		for _, r := range cfg.Routes {
			if r.Timeout > cfg.Worker.ShutdownTimeout {
				t.Errorf("%s: route %s timeout %v exceeds worker.shutdown_timeout %v: a handler started before SIGTERM may be cut", w, r.Name, r.Timeout, cfg.Worker.ShutdownTimeout)
			}
		}
	}
	if _, err := redisconn.Parse(cfg.Redis.URL); err != nil {
		t.Errorf("%s: redis.url: %v", w, err)
	}
	return cfg, role
}

func (s *set) checkServices(ws []workload) {
	t := s.t
	for _, o := range s.objs {
		svc, ok := o.obj.(*corev1.Service)
		if !ok {
			continue
		}
		var target *workload
		for i := range ws {
			if selects(t, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, ws[i].tpl.Labels) {
				target = &ws[i]
			}
		}
		if target == nil {
			t.Errorf("%s: selector %v matches no workload", o, svc.Spec.Selector)
			continue
		}
		for _, p := range svc.Spec.Ports {
			found := false
			for _, cp := range target.tpl.Spec.Containers[0].Ports {
				if (p.TargetPort.Type == intstr.String && p.TargetPort.StrVal == cp.Name) ||
					(p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == cp.ContainerPort) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: port %s targets %s, which %s does not expose", o, p.Name, p.TargetPort.String(), target)
			}
		}
		if target.service == o.name && svc.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("%s: a StatefulSet's serviceName must be a headless Service", o)
		}
		if svc.Spec.Type != "" && svc.Spec.Type != corev1.ServiceTypeClusterIP {
			t.Errorf("%s: type %s; expose ingest through an Ingress/Gateway, never the admin port", o, svc.Spec.Type)
		}
	}
	for _, w := range ws {
		if w.service != "" {
			if s.find("Service", w.service) == nil {
				t.Errorf("%s: serviceName %s is not in the set", w, w.service)
			}
		}
	}
}

func (s *set) checkAutoscaling(ws []workload, cfg *config.Config) {
	t := s.t
	scaled := map[string]string{} // kind/name → by what
	target := func(o object, kind, name string) {
		found := false
		for _, w := range ws {
			if w.kind == kind && w.name == name {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: scale target %s %s is not in the set", o, kind, name)
		}
		if prev, dup := scaled[kind+"/"+name]; dup {
			t.Errorf("%s: %s %s is already scaled by %s (two autoscalers fight)", o, kind, name, prev)
		}
		scaled[kind+"/"+name] = o.String()
	}
	spec, _ := redisconn.Parse(cfg.Redis.URL)
	for _, o := range s.objs {
		switch x := o.obj.(type) {
		case *autoscalingv2.HorizontalPodAutoscaler:
			target(o, x.Spec.ScaleTargetRef.Kind, x.Spec.ScaleTargetRef.Name)
			if x.Spec.MinReplicas == nil || *x.Spec.MinReplicas < 2 || x.Spec.MaxReplicas < *x.Spec.MinReplicas {
				t.Errorf("%s: want 2 <= minReplicas <= maxReplicas", o)
			}
		case *scaledObject:
			ref := x.Spec.ScaleTargetRef
			kind := ref.Kind
			if kind == "" {
				kind = "Deployment"
			}
			target(o, kind, ref.Name)
			if len(x.Spec.Triggers) == 0 {
				t.Errorf("%s: no triggers", o)
			}
			var sm *scalingModifiers
			if x.Spec.Advanced != nil {
				sm = x.Spec.Advanced.ScalingModifiers
			}
			for _, err := range shardTriggerErrors(queue.NewShards(cfg.Queue.Shards), x.Spec.Triggers, sm) {
				t.Errorf("%s: %v", o, err)
			}
			for _, tr := range x.Spec.Triggers {
				md := tr.Metadata
				if n, err := strconv.Atoi(md["listLength"]); err != nil || n < 1 {
					t.Errorf("%s: listLength %q: want a positive number", o, md["listLength"])
				}
				switch tr.Type {
				case "redis-sentinel":
					if spec.Mode != redisconn.Sentinel {
						t.Errorf("%s: trigger redis-sentinel but redis.url is %s", o, spec.Mode)
						break
					}
					if md["addresses"] != strings.Join(spec.Addrs, ",") || md["sentinelMaster"] != spec.Master || md["databaseIndex"] != strconv.Itoa(spec.DB) {
						t.Errorf("%s: addresses/sentinelMaster/databaseIndex %q %q %q differ from redis.url %s", o, md["addresses"], md["sentinelMaster"], md["databaseIndex"], spec)
					}
				case "redis":
					if spec.Mode != redisconn.Single || md["address"] != spec.Addrs[0] {
						t.Errorf("%s: trigger redis %q, but redis.url is %s", o, md["address"], spec)
					}
				case "redis-cluster":
					if spec.Mode != redisconn.Cluster || md["addresses"] != strings.Join(spec.Addrs, ",") {
						t.Errorf("%s: trigger redis-cluster %q, but redis.url is %s", o, md["addresses"], spec)
					}
				default:
					t.Errorf("%s: trigger type %q: want redis, redis-sentinel or redis-cluster (queue depth)", o, tr.Type)
				}
				if spec.Password != "" {
					if tr.AuthenticationRef == nil {
						t.Errorf("%s: Redis needs a password but the trigger has no authenticationRef", o)
						continue
					}
					ta := s.find("TriggerAuthentication", tr.AuthenticationRef.Name)
					if ta == nil {
						t.Errorf("%s: TriggerAuthentication %s is not in the set", o, tr.AuthenticationRef.Name)
						continue
					}
					params := map[string]bool{}
					for _, r := range ta.obj.(*triggerAuthentication).Spec.SecretTargetRef {
						params[r.Parameter] = true
						if _, ok := s.secrets[r.Name][r.Key]; !ok {
							t.Errorf("%s: secretTargetRef %s: Secret %s key %s is not in the set", ta, r.Parameter, r.Name, r.Key)
						}
					}
					if !params["password"] {
						t.Errorf("%s: no password parameter", ta)
					}
				}
			}
		}
	}
	for _, w := range ws {
		if scaled[w.kind+"/"+w.name] == "" {
			t.Errorf("%s: nothing scales it", w)
		}
	}
}

func (s *set) checkDisruptionBudgets(ws []workload) {
	covered := map[string]bool{}
	for _, o := range s.objs {
		pdb, ok := o.obj.(*policyv1.PodDisruptionBudget)
		if !ok {
			continue
		}
		n := 0
		for _, w := range ws {
			if selects(s.t, pdb.Spec.Selector, w.tpl.Labels) {
				covered[w.name] = true
				n++
			}
		}
		if n != 1 {
			s.t.Errorf("%s: selects %d workloads, want 1", o, n)
		}
	}
	for _, w := range ws {
		if !covered[w.name] {
			s.t.Errorf("%s: no PodDisruptionBudget", w)
		}
	}
}

// checkNetworkPolicies: every workload is under a policy; its admin port is
// opened only to listed peers, never to everyone; named ports exist.
func (s *set) checkNetworkPolicies(ws []workload) {
	t := s.t
	for _, w := range ws {
		var pols []object
		for _, o := range s.objs {
			if np, ok := o.obj.(*networkingv1.NetworkPolicy); ok && selects(t, &np.Spec.PodSelector, w.tpl.Labels) {
				pols = append(pols, o)
			}
		}
		if len(pols) == 0 {
			t.Errorf("%s: no NetworkPolicy: its admin port would be open to the cluster", w)
			continue
		}
		names := map[string]bool{}
		for _, p := range w.tpl.Spec.Containers[0].Ports {
			names[p.Name] = true
		}
		for _, o := range pols {
			np := o.obj.(*networkingv1.NetworkPolicy)
			if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
				t.Errorf("%s: policyTypes must include Ingress", o)
			}
			for i, r := range np.Spec.Ingress {
				if len(r.Ports) == 0 {
					t.Errorf("%s: ingress[%d] opens every port", o, i)
				}
				for _, p := range r.Ports {
					if p.Port == nil || p.Port.Type != intstr.String || !names[p.Port.StrVal] {
						t.Errorf("%s: ingress[%d]: port %v is not a named port of %s", o, i, p.Port, w)
						continue
					}
					if p.Port.StrVal == "admin" && len(r.From) == 0 {
						t.Errorf("%s: ingress[%d] opens the admin port to everyone", o, i)
					}
				}
			}
		}
	}
}

// checkRedisChart: redis-values.yaml (Bitnami chart) agrees with redis.url.
func (s *set) checkRedisChart(cfg *config.Config) {
	t := s.t
	raw, err := os.ReadFile(filepath.Join(dir, "redis-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Architecture string `json:"architecture"`
		Auth         struct {
			Enabled                   bool   `json:"enabled"`
			Sentinel                  bool   `json:"sentinel"`
			ExistingSecret            string `json:"existingSecret"`
			ExistingSecretPasswordKey string `json:"existingSecretPasswordKey"`
		} `json:"auth"`
		CommonConfiguration string `json:"commonConfiguration"`
		Replica             struct {
			ReplicaCount int `json:"replicaCount"`
		} `json:"replica"`
		Sentinel struct {
			Enabled               bool   `json:"enabled"`
			MasterSet             string `json:"masterSet"`
			DownAfterMilliseconds int    `json:"downAfterMilliseconds"`
		} `json:"sentinel"`
	}
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatalf("redis-values.yaml: %v", err)
	}
	spec, _ := redisconn.Parse(cfg.Redis.URL)
	if v.Architecture != "replication" || !v.Sentinel.Enabled || spec.Mode != redisconn.Sentinel || v.Sentinel.MasterSet != spec.Master {
		t.Errorf("redis-values.yaml: want architecture replication with Sentinel master set %q (redis.url %s)", spec.Master, spec)
	}
	var want []string
	for i := range v.Replica.ReplicaCount {
		want = append(want, fmt.Sprintf("hookq-redis-node-%d.hookq-redis-headless:26379", i))
	}
	if !slices.Equal(spec.Addrs, want) {
		t.Errorf("redis.url Sentinels %v, but the chart (release hookq-redis, %d replicas) runs %v", spec.Addrs, v.Replica.ReplicaCount, want)
	}
	if !v.Auth.Enabled || !v.Auth.Sentinel || spec.Password == "" || spec.SentinelNoAuth {
		t.Errorf("redis-values.yaml: Redis and its Sentinels take the password redis.url carries")
	}
	if _, ok := s.secrets[v.Auth.ExistingSecret][v.Auth.ExistingSecretPasswordKey]; !ok {
		t.Errorf("redis-values.yaml: auth.existingSecret %s key %s is not in the set", v.Auth.ExistingSecret, v.Auth.ExistingSecretPasswordKey)
	}
	for _, line := range []string{"appendonly yes", "maxmemory-policy noeviction"} {
		if !strings.Contains(v.CommonConfiguration, line) {
			t.Errorf("redis-values.yaml: commonConfiguration lacks %q (README: Delivery guarantee)", line)
		}
	}
	if v.Sentinel.DownAfterMilliseconds <= 0 || v.Sentinel.DownAfterMilliseconds > 10000 {
		t.Errorf("redis-values.yaml: sentinel.downAfterMilliseconds %d: want a failover within seconds", v.Sentinel.DownAfterMilliseconds)
	}
}

// checkSpoolConfig: the spool variant's config is the default one plus
// ingest.spool, its directory is on the pod's claim.
func (s *set) checkSpoolConfig() {
	t := s.t
	base := s.mustReadConfigMap("configmap.yaml", "hookq-config")
	spool := s.config["hookq-config-spool"]
	if spool == nil {
		t.Fatal("no ConfigMap hookq-config-spool")
	}
	var a, b map[string]any
	if err := yaml.Unmarshal([]byte(base.Data["hookq.yaml"]), &a); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(spool.Data["hookq.yaml"]), &b); err != nil {
		t.Fatal(err)
	}
	ing, _ := b["ingest"].(map[string]any)
	sp, _ := ing["spool"].(map[string]any)
	delete(ing, "spool")
	if !reflect.DeepEqual(a, b) {
		t.Errorf("hookq-config-spool differs from hookq-config in more than ingest.spool")
	}
	dirPath, _ := sp["dir"].(string)
	for _, w := range s.workloads() {
		if w.kind != "StatefulSet" {
			continue
		}
		onClaim := false
		for _, m := range w.tpl.Spec.Containers[0].VolumeMounts {
			for _, c := range w.claims {
				if m.Name == c.Name && m.MountPath == dirPath {
					onClaim = true
				}
			}
		}
		if !onClaim {
			t.Errorf("%s: ingest.spool.dir %q is not a volumeClaimTemplate mount", w, dirPath)
		}
	}
}

func (s *set) mustReadConfigMap(file, name string) *corev1.ConfigMap {
	for _, o := range load(s.t, []string{file}) {
		if cm, ok := o.obj.(*corev1.ConfigMap); ok && o.name == name {
			return cm
		}
	}
	s.t.Fatalf("%s: no ConfigMap %s", file, name)
	return nil
}
