@lac @password
Feature: CA Live API Creator password change through @authentication
  With the exact query ?enablePasswordChange! (case-sensitive, with the "!"), a
  sign-on also sends the new password and the answer adds
  changePasswordResult (success, failure or notSupported) and
  changePasswordMessage. The sign-on succeeds and a new auth token is issued
  whatever the result. The document's prose calls the new password's
  attribute newPassword, its example and note new_password: the suite sends
  both, and checks each alone as a reference choice.

  Every scenario here sets alice's password back at its end, since a server
  under test keeps it; a server that refuses a password used before (a
  password history) keeps the one the suite set, which later scenarios use.
  carol is the account of an API whose authentication provider does not
  implement password change (`lac.no_password_change`).

  @LAC16
  Scenario: LAC16 a password change succeeds, and afterwards only the new password works
    When alice authenticates with ?enablePasswordChange! and a new password
    Then the password change reports success with a new auth token
    And alice's auth token lets her call the probe resource
    And alice's old password is refused
    And alice's new password is accepted
    And alice's password is set back to the original

  # The prose says newPassword, the example and the note new_password: a server
  # may read either, so reading each alone is the reference server's choice.
  @LAC16 @new-password-alias @strict-new-password-alias
  Scenario: LAC16 the built-in provider also reads the new password from newPassword
    When alice authenticates with ?enablePasswordChange! and a new password in newPassword
    Then the password change reports success with a new auth token
    And alice's new password is accepted
    And alice's password is set back to the original

  @LAC16 @strict-new-password-field
  Scenario: LAC16 the built-in provider reads the new password from new_password alone
    When alice authenticates with ?enablePasswordChange! and a new password in new_password
    Then the password change reports success with a new auth token
    And alice's new password is accepted
    And alice's password is set back to the original

  # The document has no password policy: that a one-character password fails
  # is the reference server's (a warning elsewhere); an auth token issued
  # whatever the result is documented.
  @LAC17
  Scenario: LAC17 a new password that breaks the password policy fails with a reason, and an auth token is still issued
    When alice authenticates with ?enablePasswordChange! and a one-character new password
    Then the password change reports failure with a reason and a new auth token
    And alice's auth token lets her call the probe resource
    And alice's password is unchanged
    And alice's password is set back to the original

  @LAC18
  Scenario: LAC18 a wrong current password changes nothing
    When alice authenticates with ?enablePasswordChange!, a wrong password and a new password
    Then the authentication is refused without an auth token
    And alice's password is unchanged
    And alice's password is set back to the original

  @LAC19
  Scenario Outline: LAC19 <query> does not enable a password change
    When alice authenticates with <query> and a new password
    Then the authentication succeeds without a password change result
    And alice's password is unchanged
    And alice's password is set back to the original

    Examples:
      | query                  |
      | ?enablePasswordChange  |
      | ?EnablePasswordChange! |
      | ?enablepasswordchange! |

  @LAC20 @needs-provider-without-password-change
  Scenario: LAC20 a provider without password change answers notSupported and still issues an auth token
    When carol authenticates with ?enablePasswordChange! and a new password
    Then the password change reports notSupported with a new auth token
    And carol's auth token lets her call the probe resource
    And carol's password is unchanged
    And carol's password is set back to the original
