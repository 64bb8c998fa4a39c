// After a security key is registered, go on to where the user was headed (or reload the page).
// The package's script fires "otp_webauthn.register_complete" on success.
document.addEventListener("otp_webauthn.register_complete", () => {
  const holder = document.querySelector(".key-register");
  const next = holder ? holder.dataset.next : "";
  window.location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : window.location.pathname);
});
