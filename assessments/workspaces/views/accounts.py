"""Signing up (confirmed by e-mail, answering alike for new and known addresses), confirming,
and the throttled password reset."""

from urllib.parse import urlencode

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters

from assessments.workspaces.forms import SignupForm
from assessments.workspaces.selectors import invitation_by_token
from assessments.workspaces.services import (
    password_reset_allowed,
    signup_confirm,
    signup_request,
    signup_user_for_link,
)


def safe_next(request, next_url: str) -> str:
    allowed = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
    return next_url if next_url and allowed else ""


def invited_address(next_url: str) -> str:
    """The address an invitation link (signing up on the way to it) was made for, or ""."""
    try:
        match = resolve(next_url.split("?", 1)[0])
    except Resolver404:
        return ""
    if match.url_name != "invitation_accept":
        return ""
    invitation = invitation_by_token(match.kwargs["token"])
    return invitation.email if invitation is not None else ""


@sensitive_post_parameters("password")
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    # Coming from an invitation, the address it is for is already filled in.
    initial = {"email": invited_address(next_url)} if next_url else {}
    form = SignupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]

        def link_for(uidb64: str, token: str) -> str:
            path = reverse("signup_confirm", args=[uidb64, token])
            query = "?" + urlencode({"next": next_url}) if next_url else ""
            return request.build_absolute_uri(path + query)

        signup_request(
            email=email,
            password=form.cleaned_data["password"],
            name=form.cleaned_data["name"],
            link_for=link_for,
        )
        # The same page whether or not the address already had an account.
        return render(request, "registration/signup_sent.html", {"email": email})
    context = {"form": form, "next": next_url}
    return render(request, "registration/signup.html", context)


def signup_confirm_view(request, uidb64, token):
    """GET shows a button (mail scanners that open links confirm nothing); POST confirms."""
    user = signup_user_for_link(uidb64, token)
    if user is None:
        return render(request, "registration/signup_confirm.html", {"invalid": True}, status=404)
    next_url = safe_next(request, request.GET.get("next", ""))
    if request.method != "POST":
        return render(request, "registration/signup_confirm.html", {"email": user.email})
    signup_confirm(user)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if next_url:
        return redirect(next_url)
    messages.success(request, "Welcome! This is your workspace; add the first system to assess.")
    return redirect("home")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, with at most a few e-mails per address and per client address: past
    the limit the page answers as usual and sends nothing."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if not password_reset_allowed(email, get_client_ip_address(self.request) or "unknown"):
            return redirect(self.get_success_url())
        return super().form_valid(form)
