package resources

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/replikube/replikube/api/v1alpha1"
)

// AuthSecret is the generated password Secret (<name>-auth), used when
// spec.auth.secretName is empty. The controller makes the password once and
// passes the existing one back in on later passes, so it stays stable.
func AuthSecret(rg *v1alpha1.ReplicationGroup, password string) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: objectMeta(rg, rg.GeneratedAuthSecretName()),
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{rg.AuthSecretKey(): []byte(password)},
	}
}
